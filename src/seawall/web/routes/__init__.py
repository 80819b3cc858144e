"""Page modules; each exposes ``router`` and is listed in seawall.web.app.ROUTER_MODULES."""
