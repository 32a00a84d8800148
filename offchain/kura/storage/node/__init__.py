"""The storage node side: the agent that stakes and answers audits (``kura node run``), its repair duties
(helper and newcomer), and the HTTP server that offers them to repairers."""
