"""Connects to Redis with redis-py and a url from the chart's connection Secret, as an
application would, and prints the PING reply.

    python3 redis_py.py URL [CA_FILE]

With CA_FILE the CA goes to redis-py as ssl_ca_certs; without, redis-py verifies against the
default trust store, which SSL_CERT_FILE replaces. Exit status 1 with the driver's error on failure.
"""
import sys

import redis

if __name__ == "__main__":
    url = sys.argv[1]
    kwargs = {"socket_timeout": 10, "socket_connect_timeout": 10}
    if len(sys.argv) > 2:
        kwargs["ssl_ca_certs"] = sys.argv[2]
    try:
        client = redis.Redis.from_url(url, **kwargs)
        reply = client.ping()
        client.close()
    except Exception as e:
        print(f"{type(e).__module__}.{type(e).__name__}: {e}")
        sys.exit(1)
    print(f"ping={reply}")
