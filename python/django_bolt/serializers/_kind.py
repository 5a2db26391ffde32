"""What a serializer class is: an instance of ``SerializerClass``, the metaclass that
``Serializer`` is made with (``base._SerializerMeta`` subclasses it and does the work).

``Serializer``'s methods are built on ``nested``, ``loading``, ``subsets`` and ``view``;
those modules recognise a serializer class by this metaclass, so they need not import
``base``, which imports them.
"""

from __future__ import annotations

import msgspec


class SerializerClass(msgspec.StructMeta):
    """The metaclass of every ``Serializer`` class: ``isinstance(x, SerializerClass)``
    is ``issubclass(x, Serializer)`` for a class ``x``, and False for anything else."""
