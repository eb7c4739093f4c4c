"""One valid call per public callable that cannot be synthesised from its signature.

Each module (named after the subpackage: ``rae.py``, ``validation.py``, …) defines

* ``EXAMPLES``: ``{name: factory}``, where ``factory()`` returns a fresh ``malformed.Call`` of one
  small, valid call (fresh: the test mutates one argument at a time and calls again);
* ``NOT_DRIVEN``: ``{name: reason}`` for the few callables the generic test cannot drive at all.

A callable in neither table is driven from its signature alone (``malformed.synthesize``).
"""
