"""The public API's implementation: :func:`connect` and :func:`deploy` return a :class:`Kura` whose
attributes carry the domain operations (``storage``, ``tasks``, ``audits``, ``repair``, ``nodes``).
Import the names from :mod:`kura` itself."""
