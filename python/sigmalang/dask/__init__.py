"""ΣLANG beyond one machine: encode, decode and read ``.sigma`` files with Dask.

A ΣLANG stream is a run of independent segments whose boundaries depend only on the input's length
and the segment size, so the work splits cleanly (docs/DISTRIBUTED.md has the whole design):

* :func:`encode` splits the input into ``parts`` runs of whole segments. One Dask task per part
  range-reads exactly its raw bytes (:func:`sigmalang._native.part_range`), encodes them into a
  *part file* (:func:`sigmalang._native.encode_part`) at ``DST.parts/part-K-of-N``; one last task
  checks the full set of parts and writes the stream (:func:`sigmalang._native.join`) to a temporary
  name beside ``DST``, moves it to ``DST`` and removes the parts. The result is **byte-identical to
  ``sigma encode``** of the same input with the same level and segment size, whatever the number of
  workers or parts; every task is idempotent, so a retried or lost task changes nothing.
* :func:`decode` decodes runs of whole segments (located through the index) in parallel tasks and
  writes them at their offsets in a temporary file (local or shared file systems), or as pieces that
  a last task concatenates (object storage); byte-identical to ``sigma decode``.
* :func:`read_bytes` / :func:`to_bag` give the decoded contents as ``dask.delayed`` partitions, each
  a run of whole segments read by range through the index, so a 500 GB archive is processed in
  parallel without any task reading the whole file.

Sources and destinations are local paths or any fsspec URL (``s3://bucket/key``, ``gs://…``,
``memory://…``); ``storage_options`` are passed to fsspec (e.g. ``{"anon": False}`` or
credentials for s3fs). Workers must see the same storage as the client: object storage, or a shared
file system for local paths.

``client=None`` uses the current ``distributed`` client when there is one (``Client()`` created in
this process, or inside a task), and otherwise dask's default scheduler (threads in this process).
"""

from ._common import MAX_PART_BYTES, PARTITION_BYTES, RETRIES  # noqa: F401
from ._decode import decode
from ._encode import _join_task, encode, plan_parts  # noqa: F401
from ._read import _runs, read_bytes, to_bag  # noqa: F401

__all__ = ["encode", "decode", "read_bytes", "to_bag", "plan_parts"]
