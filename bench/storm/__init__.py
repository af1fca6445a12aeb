"""The classroom storm: `python -m bench.storm` drives the real server and a bare
python-socketio baseline (bench/storm/baseline_server.py) with the same load, from a light
client that speaks the wire format over raw websockets (client.py, wire.py)."""
