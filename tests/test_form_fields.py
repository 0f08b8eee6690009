"""SparseRowList against WTForms' own FieldList (as RowList): whatever rows a post sends, what
reads the rows sees the same rows, and only the typed ones are built before that."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, StringField

from app.web.form_fields import RowList, SparseRowList

ROWS_AT_MOST = 4


class Row(Form):
    name = StringField()
    year = StringField()


class Dense(Form):
    rows = RowList(FormField(Row), min_entries=1, max_entries=ROWS_AT_MOST)


class Sparse(Form):
    rows = SparseRowList(FormField(Row), min_entries=1, max_entries=ROWS_AT_MOST)


# Rows by their number in the post, each (name, year): blank, spaces or typed.
CELLS = st.sampled_from(["", "  ", "An", "1990"])
POSTS = st.dictionaries(st.integers(0, 7), st.tuples(CELLS, CELLS), max_size=7)


def _formdata(post: dict[int, tuple[str, str]]) -> MultiDict:
    data = MultiDict({"other": "x"})  # a post never arrives empty: the form has other fields
    for number, (name, year) in post.items():
        data.add(f"rows-{number}-name", name)
        data.add(f"rows-{number}-year", year)
    return data


def _seen(rows) -> list[tuple[str, dict]]:
    return [(entry.name, entry.data) for entry in rows]


def _typed(data: dict) -> bool:
    return any((value or "").strip() for value in data.values())


@given(POSTS, st.sampled_from(["read", "data", "pop", "insert", "append"]))
def test_sparse_rows_are_the_rows_fieldlist_reads(post, operation):
    dense, sparse = Dense(_formdata(post)), Sparse(_formdata(post))
    # Before anything reads the rows, the typed ones alone are built.
    assert [entry.data for entry in sparse.rows.entries] == \
        [data for data in dense.rows.data if _typed(data)]
    assert sparse.validate() == dense.validate()

    if operation == "data":
        assert sparse.rows.data == dense.rows.data
    elif operation == "pop":
        assert (sparse.rows.pop_entry().data, sparse.rows.data) == \
            (dense.rows.pop_entry().data, dense.rows.data)
    elif operation in ("insert", "append") and len(dense.rows) < ROWS_AT_MOST:
        for form in (dense, sparse):
            if operation == "insert":
                form.rows.insert_entry(0, {"name": "new", "year": ""})
            else:
                form.rows.append_entry({"name": "new", "year": ""})
    assert _seen(sparse.rows) == _seen(dense.rows)
    assert len(sparse.rows) == len(dense.rows)


def test_a_form_without_a_post_has_its_blank_row():
    assert _seen(Sparse().rows) == _seen(Dense().rows) == [("rows-0", {"name": None,
                                                                        "year": None})]
