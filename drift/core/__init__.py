"""Pure core: no I/O, no clock, none of sqlalchemy / mitmproxy / slack_sdk / apscheduler."""
