"""The demo "Dynamic Pricing AI" app: a small web server over the databases selfheal keeps healthy."""
