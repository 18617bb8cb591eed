@echo off
rem Dynamic Pricing AI launcher for Windows: selfheal checks and heals, then starts the app.
rem All arguments are passed to `invoke up` (e.g. --yes, --strict, -- app-args). Exit code is kept.
setlocal
cd /d "%~dp0"
where python >nul 2>nul
if errorlevel 1 (
  echo Python was not found on PATH. Install Python 3.10+ from https://www.python.org/ and retry.
  exit /b 1
)
python -c "import invoke" >nul 2>nul
if errorlevel 1 (
  echo Invoke is not installed. Run: python -m pip install -r requirements.txt
  exit /b 1
)
python -m invoke up %*
exit /b %ERRORLEVEL%
