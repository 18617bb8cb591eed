"""What an app needs besides its databases: .env and its keys, directories, the Python version and
packages, Node packages, and the project's own checks."""
