"""opwire: bring an application's operator integrations live and prove that they deliver."""

__version__ = "0.1.0"
