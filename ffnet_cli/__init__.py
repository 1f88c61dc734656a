"""ffnet: train feedforward networks from a YAML config, by hand in numpy."""

__version__ = "0.1.0"
