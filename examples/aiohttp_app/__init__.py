"""The inventory service: an aiohttp app that quotes prices and takes orders."""
