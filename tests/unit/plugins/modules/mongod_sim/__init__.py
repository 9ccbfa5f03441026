"""A MongoDB replica set simulated over the wire protocol; see replset_simulation.py for what it models."""
