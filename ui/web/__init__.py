"""The Gradio web app (``mianshi ui``). Importing this package turns Gradio's analytics off first:
with them on, Gradio looks up hosts when it starts, which an offline machine must never do."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
