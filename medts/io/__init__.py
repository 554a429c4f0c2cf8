"""Readers and writers: every ECG file format medts understands becomes an :class:`~medts.record.ECG`."""
