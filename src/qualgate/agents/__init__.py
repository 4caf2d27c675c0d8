"""The agent loop: hooks that block an agent's turn until its gates pass (one adapter
module per agent, one core), ``qualgate init`` and the MCP server."""
