"""medts web app: ``python app.py [--host 127.0.0.1] [--port 7860] [--auth user:pw]``."""

from medts.ui import main

if __name__ == "__main__":
    main()
