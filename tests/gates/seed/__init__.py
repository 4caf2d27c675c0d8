"""Tests of the seed gate."""
