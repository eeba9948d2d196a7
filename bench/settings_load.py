"""Settings for `make loadtest`: the product's settings plus a URL conf that adds one bare
view (the ceiling of this stack on this machine). Never used by the product itself."""
from cto_portal.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls_load"
