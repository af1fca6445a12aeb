"""The live game in process: bench.live.game (ack latency and question turnaround with
python-socketio clients), bench.live.board_ranks (reading every rank at a close)."""
