"""The lake's table specs as Spark schemas: files are read with the spec's types, never with
types Spark infers, so a column a file lacks is NULL and an older narrower integer column
reads as the spec's type."""

from __future__ import annotations

import pyarrow as pa
from pyspark.sql import types as st

from vigil.errors import QueryError
from vigil.lake.tables import PARTITIONS, TableSpec, full_schema

_SIMPLE: dict[pa.DataType, st.DataType] = {
    pa.string(): st.StringType(),
    pa.large_string(): st.StringType(),
    pa.int8(): st.ByteType(),
    pa.int16(): st.ShortType(),
    pa.int32(): st.IntegerType(),
    pa.int64(): st.LongType(),
    pa.uint8(): st.ShortType(),
    pa.uint16(): st.IntegerType(),
    pa.uint32(): st.LongType(),  # Spark has no unsigned types: the next wider signed one
    pa.float32(): st.FloatType(),
    pa.float64(): st.DoubleType(),
    pa.bool_(): st.BooleanType(),
    pa.date32(): st.DateType(),
    pa.binary(): st.BinaryType(),
    pa.null(): st.StringType(),  # a loaded column with no value at all
}


def spark_type(arrow: pa.DataType) -> st.DataType:
    """The Spark type a lake column of this Arrow type is read as."""
    if arrow in _SIMPLE:
        return _SIMPLE[arrow]
    if pa.types.is_dictionary(arrow):  # dictionary-encoded in Parquet, values as such
        return spark_type(arrow.value_type)
    if pa.types.is_timestamp(arrow):  # the lake's times are UTC instants
        return st.TimestampType() if arrow.tz else st.TimestampNTZType()
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return st.ArrayType(spark_type(arrow.value_type))
    if pa.types.is_map(arrow):
        return st.MapType(spark_type(arrow.key_type), spark_type(arrow.item_type))
    if pa.types.is_struct(arrow):
        return st.StructType([field(arrow.field(i)) for i in range(arrow.num_fields)])
    raise QueryError(f"the Arrow type {arrow} has no Spark type here")


def field(arrow: pa.Field) -> st.StructField:
    return st.StructField(arrow.name, spark_type(arrow.type), nullable=True)


def struct(schema: pa.Schema) -> st.StructType:
    return st.StructType([field(f) for f in schema])


def table_schema(spec: TableSpec) -> st.StructType:
    """A lake table's columns, then its partition columns as the Hive folders name them
    (account ids text, so leading zeros stay; `date` a date)."""
    columns = struct(full_schema(spec))
    for name in PARTITIONS:
        columns.add(name, st.DateType() if name == "date" else st.StringType(), nullable=True)
    return columns


_WIDER: dict[pa.DataType, pa.DataType] = {
    pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64(),
    pa.uint64(): pa.int64(),  # intel ranges: IPv4 integers and prefixes, well below 2**63
}  # fmt: skip


def signed(table: pa.Table) -> pa.Table:
    """A table Vigil loads (intel ranges, accounts) with Spark's types: no unsigned ones."""
    for i, f in enumerate(table.schema):
        if f.type in _WIDER:
            table = table.set_column(i, f.name, table.column(i).cast(_WIDER[f.type]))
    return table
