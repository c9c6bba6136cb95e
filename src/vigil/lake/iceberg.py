"""Export the lake to an Iceberg catalog: each lake table becomes an Iceberg table whose data
files are the lake's own Parquet files, registered in place (no copy).

The lake's files do not hold the partition columns (`aws_account`, `aws_region`, `date` are
directory names). Iceberg allows that: an identity-partitioned column missing from a data file
is read from the partition values the manifest keeps for that file (the spec's "column
projection" rule, followed by Spark, Trino, Athena and pyiceberg). So each file is registered
with the partition values taken from its path, and its column statistics from its footer.

An export is a sync: files the lake gained are added, files compaction or expiry removed are
dropped, in one Iceberg commit per table; a re-run with nothing new commits nothing.
pyiceberg is an optional extra, imported only here and only when an export runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.lake.maintenance import tables_named
from vigil.lake.snapshot import table_files
from vigil.lake.store import LakeStore, store_for
from vigil.lake.tables import EPOCH_DAY, PARTITIONS, TABLES, full_schema

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table

CATALOGS: Final = ("sql", "rest")
CATALOG_NAME: Final = "vigil"  # the SQL catalog keeps it in every row: load it by this name
INSTALL_HINT: Final = "pip install 'cloudvigil[iceberg]'"


@dataclass
class TableExport:
    table: str
    identifier: str
    added: int = 0  # lake files registered by this export
    removed: int = 0  # registered files the lake no longer holds (compacted or expired)
    files: int = 0  # files the Iceberg table holds after the export
    created: bool = False


@dataclass
class IcebergExport:
    catalog: str
    namespace: str
    tables: list[TableExport] = field(default_factory=list)


def export(
    settings: Settings,
    *,
    catalog: str,
    uri: str | None,
    warehouse: str | None = None,
    namespace: str = "vigil",
    tables: list[str] | None = None,
    properties: dict[str, str] | None = None,
    name: str = CATALOG_NAME,
) -> IcebergExport:
    """Register the named lake tables (all by default) in the catalog under `namespace`."""

    names = _names(tables)
    target = _catalog(name, catalog, uri, warehouse, properties or {})
    try:
        target.create_namespace_if_not_exists(namespace)
    except Exception as exc:  # pyiceberg raises the transport's or the database's own errors
        raise ConfigError(
            f"cannot reach the {catalog} catalog at {uri}: {_first_line(exc)}",
            hint="check --uri (and --warehouse), and that the catalog is running",
        ) from exc
    report = IcebergExport(catalog=catalog, namespace=namespace)
    for name in names:
        report.tables.append(_export_table(settings, target, namespace, name))
    return report


def _names(tables: list[str] | None) -> list[str]:
    if not tables:
        return list(TABLES)
    return [name for t in tables for name in tables_named(t)]


def _catalog(
    name: str, kind: str, uri: str | None, warehouse: str | None, extra: dict[str, str]
) -> Catalog:
    if kind not in CATALOGS:
        raise ConfigError(f"no catalog type {kind!r}", hint=f"catalogs: {', '.join(CATALOGS)}")
    if not uri:
        hint = "sql: --uri sqlite:///path/catalog.db; rest: --uri http://host:8181"
        raise ConfigError(f"the {kind} catalog needs --uri", hint=hint)
    if kind == "sql" and not warehouse:
        raise ConfigError("the sql catalog needs --warehouse", hint="--warehouse file:///path")
    try:
        from pyiceberg.catalog import load_catalog
    except ImportError as exc:
        raise ConfigError("Iceberg export needs pyiceberg, which is not installed",
                          hint=INSTALL_HINT) from exc  # fmt: skip
    props = {"type": kind, "uri": uri, **({"warehouse": warehouse} if warehouse else {}), **extra}
    try:
        return load_catalog(name, **props)
    except ImportError as exc:  # the SQL catalog's SQLAlchemy is an extra of pyiceberg's
        raise ConfigError(f"the {kind} catalog cannot load: {_first_line(exc)}",
                          hint=INSTALL_HINT) from exc  # fmt: skip
    except Exception as exc:
        raise ConfigError(f"cannot open the {kind} catalog at {uri}: {_first_line(exc)}",
                          hint="check --uri and --warehouse") from exc  # fmt: skip


def iceberg_schema(name: str) -> Schema:
    """The lake table's columns (names unchanged, structs and lists kept) and then the
    partition columns, with fresh field ids. Dictionary-encoded columns are plain strings."""

    from pyiceberg.io.pyarrow import _pyarrow_to_schema_without_ids
    from pyiceberg.schema import assign_fresh_schema_ids

    fields = [_plain(f) for f in full_schema(TABLES[name])]
    fields += [pa.field("aws_account", pa.string()), pa.field("aws_region", pa.string()),
               pa.field("date", pa.date32())]  # fmt: skip
    return assign_fresh_schema_ids(_pyarrow_to_schema_without_ids(pa.schema(fields)))


def _plain(column: pa.Field) -> pa.Field:
    """Iceberg has no dictionary type (the values' type is read) and no unsigned integers:
    the `*_ipv4` UINT32 columns are longs, so addresses above 127.255.255.255 stay positive
    (readers widen a file's 32-bit integers to a table's long)."""
    if pa.types.is_dictionary(column.type):
        return column.with_type(column.type.value_type)
    if pa.types.is_unsigned_integer(column.type):
        return column.with_type(pa.int64())
    return column


def _export_table(settings: Settings, catalog: Catalog, namespace: str, name: str) -> TableExport:
    from pyiceberg.table import TableProperties

    identifier = f"{namespace}.{name}"
    result = TableExport(table=name, identifier=identifier)
    schema = iceberg_schema(name)
    table, result.created = _table(catalog, identifier, schema)
    registered = _registered(table)
    store = store_for(settings)  # on S3: the objects' s3:// URIs, footers read by range
    present = {store.uri(p): p for p in table_files(settings.lake_dir, name)}
    new = [present[uri] for uri in sorted(present) if uri not in registered]
    gone = [f for uri, f in registered.items() if uri not in present]
    mapping = table.schema().name_mapping.model_dump_json()
    if not new and not gone and table.properties.get(TableProperties.DEFAULT_NAME_MAPPING):
        result.files = len(registered)
        return result
    with table.transaction() as tx:
        # lake files carry no field ids: readers match their columns to the table's by name
        tx.set_properties({TableProperties.DEFAULT_NAME_MAPPING: mapping})
        if new or gone:
            with (
                tx.update_snapshot().overwrite() if gone else tx.update_snapshot().fast_append()
            ) as update:
                for data_file in gone:
                    update.delete_data_file(data_file)
                for path in new:
                    update.append_data_file(_data_file(table, path, store))
    result.added, result.removed = len(new), len(gone)
    result.files = len(registered) + len(new) - len(gone)
    return result


def _table(catalog: Catalog, identifier: str, schema: Schema) -> tuple[Table, bool]:
    """The Iceberg table, created with an identity partition on the three partition columns;
    an existing one gains any column the lake's spec gained since (by name)."""

    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    try:
        table = catalog.load_table(identifier)
    except NoSuchTableError:
        spec = PartitionSpec(*[
            PartitionField(source_id=schema.find_field(column).field_id, field_id=1000 + i,
                           transform=IdentityTransform(), name=column)
            for i, column in enumerate(PARTITIONS)
        ])  # fmt: skip
        return catalog.create_table(identifier, schema=schema, partition_spec=spec), True
    known = set(table.schema().column_names)
    if any(column not in known for column in schema.column_names):
        with table.update_schema() as update:
            update.union_by_name(schema)
        table = catalog.load_table(identifier)
    return table, False


def _registered(table: Table) -> dict[str, DataFile]:
    """The data files the table's current snapshot holds, by path."""

    if table.current_snapshot() is None:
        return {}
    return {task.file.file_path: task.file for task in table.scan().plan_files()}


def _data_file(table: Table, path: Path, store: LakeStore) -> DataFile:
    """A lake file as an Iceberg data file: partition values from its directories, row count
    and column bounds from its footer."""

    from pyiceberg.io.pyarrow import (
        compute_statistics_plan,
        data_file_statistics_from_parquet_metadata,
        parquet_path_to_id_mapping,
    )
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    metadata = table.metadata
    schema = metadata.schema()
    # the lake keeps min/max only for the columns queries prune on; pyiceberg would warn once
    # per column without them, and the file simply has no bounds for those
    quiet = logging.getLogger("pyiceberg.io.pyarrow")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        statistics = data_file_statistics_from_parquet_metadata(
            parquet_metadata=store.parquet(path).metadata,
            stats_columns=compute_statistics_plan(schema, metadata.properties),
            parquet_column_mapping=parquet_path_to_id_mapping(schema),
        )
    finally:
        quiet.setLevel(level)
    account, region, day = _partition(path)
    return DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=store.uri(path),
        file_format=FileFormat.PARQUET,
        partition=Record(account, region, (day - EPOCH_DAY).days),
        file_size_in_bytes=store.size(path),
        sort_order_id=None,
        spec_id=metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )


def _partition(path: Path) -> tuple[str, str, date]:
    """`…/aws_account=A/aws_region=R/date=D/part-….parquet` → (A, R, D)."""

    values: dict[str, Any] = {}
    for folder in path.parents[:3]:
        key, _, value = folder.name.partition("=")
        values[key] = value
    if set(values) != set(PARTITIONS):
        raise ConfigError(f"{path}: not under aws_account=/aws_region=/date= folders",
                          hint="vigil lake info lists the lake's layout")  # fmt: skip
    return values["aws_account"], values["aws_region"], date.fromisoformat(values["date"])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
