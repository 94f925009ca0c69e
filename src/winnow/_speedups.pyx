# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled hot path of cleaning: exactly the numbers the Python code computes, faster.

``text_counts``: the whole-number statistics behind :func:`winnow.features.text_features` (its Python
definition is ``features._text_counts_python``).

``ChunkFinder``: where sentence boundaries can be, and the sentence spans of a page's blocks, for
:mod:`winnow.segment` (its Python definitions are ``_Sentencizer._candidates_python`` and ``_split_python``).

``literal_rows``: which of many texts hold which literals, in one scan, for the keyword patterns' prefilters
(the compiled half of ``winnow.features.FoldedTexts.candidates``; its Python definition is
``FoldedTexts.rows_holding``).

``window_sums``: sums over windows of neighbouring sentences within each page, for the neighbour and context
features (its Python definition is ``features._window_sums_python``).

``max_runs``: each page's run of sentences with the largest sum of scores (Kadane), for the page-region
features (its Python definition is ``features._max_subarray``, page by page).

``chain_posteriors``: the forward-backward pass of :mod:`winnow.smoothing`, block by block (its Python
definition is ``smoothing._posteriors_python``).

``blocks`` and ``trimmed_spans``: a page's lines and its sentences' spans, stripped of whitespace, for
:mod:`winnow.segment` (their Python definitions are ``segment._iter_blocks_python`` and ``_trimmed_python``).

``TreeEnsemble``: the trees of a binary ``HistGradientBoostingClassifier``, walked 16 rows at a time; its raw
predictions equal scikit-learn's bit for bit (the compiled half of :func:`winnow.model.boosted_p_content`).

``ngram_rows``: hashed word and character n-grams of many texts, exactly as scikit-learn's HashingVectorizer
computes them (the compiled half of :func:`winnow.model.ngram_matrix`, which falls back to scikit-learn where
this module is not built). For each text (already lower-cased, as the vectorizers' preprocessor does):

* word n-grams: tokens are the maximal runs of word characters (``str.isalnum()`` or ``_``: what the ``\\w``
  of the default ``token_pattern`` ``(?u)\\b\\w\\w+\\b`` matches) of two or more characters; the n-grams are
  the tokens, then every pair of neighbouring tokens joined by a space;
* character n-grams: every whitespace-free word (``str.split()``) padded with a space on each side, and its
  n-grams of ``min_n`` to ``max_n`` characters (a word shorter than n counted once, as scikit-learn's
  ``_char_wb_ngrams`` does).

Each n-gram's UTF-8 bytes are hashed with MurmurHash3 (x86, 32 bit, seed 0) and its column is
``abs(hash) % n_features``, as in ``sklearn.feature_extraction._hashing_fast``; equal columns are counted and
each part of a row is divided by its L2 norm, as ``sklearn.preprocessing.normalize`` does. A text holding a
lone surrogate cannot be encoded: the caller then uses scikit-learn (which raises).
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy
from libc.math cimport INFINITY, sqrt
from libcpp.algorithm cimport sort
from libcpp.string cimport string
from cython.operator cimport dereference as deref
from libcpp.unordered_map cimport unordered_map
from libcpp.unordered_set cimport unordered_set
from libcpp.utility cimport pair
from libcpp.vector cimport vector

import numpy as np


cdef inline uint32_t _rotl32(uint32_t x, int r) noexcept nogil:
    return (x << r) | (x >> (32 - r))


cdef int32_t _murmurhash3_32(const uint8_t* data, Py_ssize_t length) noexcept nogil:
    """MurmurHash3_x86_32 with seed 0, as a signed 32-bit integer (scikit-learn's murmurhash3_bytes_s32)."""
    cdef uint32_t h1 = 0, k1
    cdef uint32_t c1 = 0xcc9e2d51U, c2 = 0x1b873593U
    cdef Py_ssize_t nblocks = length // 4, i
    for i in range(nblocks):
        k1 = (<uint32_t>data[4 * i]) | (<uint32_t>data[4 * i + 1] << 8) | (<uint32_t>data[4 * i + 2] << 16) \
            | (<uint32_t>data[4 * i + 3] << 24)
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
        h1 = _rotl32(h1, 13)
        h1 = h1 * 5 + 0xe6546b64U
    cdef const uint8_t* tail = data + nblocks * 4
    cdef int rest = length & 3
    k1 = 0
    if rest == 3:
        k1 ^= (<uint32_t>tail[2]) << 16
    if rest >= 2:
        k1 ^= (<uint32_t>tail[1]) << 8
    if rest >= 1:
        k1 ^= tail[0]
        k1 *= c1
        k1 = _rotl32(k1, 15)
        k1 *= c2
        h1 ^= k1
    h1 ^= <uint32_t>length
    h1 ^= h1 >> 16
    h1 *= 0x85ebca6bU
    h1 ^= h1 >> 13
    h1 *= 0xc2b2ae35U
    h1 ^= h1 >> 16
    return <int32_t>h1


cdef inline int32_t _column(const uint8_t* data, Py_ssize_t length, Py_ssize_t n_features) noexcept nogil:
    cdef int32_t h = _murmurhash3_32(data, length)
    if h == -2147483648:  # abs() is undefined there; scikit-learn's definition of abs(-2**31) % n_features
        return <int32_t>((2147483647 - (n_features - 1)) % n_features)
    if n_features & (n_features - 1) == 0:  # a power of two: the remainder is a mask
        return <int32_t>((h if h >= 0 else -h) & (n_features - 1))
    return <int32_t>((h if h >= 0 else -h) % n_features)


cdef inline int _utf8(uint32_t ch, uint8_t* out) noexcept nogil:
    """Write the UTF-8 bytes of ``ch``; return how many (-1 for a surrogate, which UTF-8 cannot hold)."""
    if ch < 0x80:
        out[0] = <uint8_t>ch
        return 1
    if ch < 0x800:
        out[0] = <uint8_t>(0xC0 | (ch >> 6))
        out[1] = <uint8_t>(0x80 | (ch & 0x3F))
        return 2
    if 0xD800 <= ch <= 0xDFFF:
        return -1
    if ch < 0x10000:
        out[0] = <uint8_t>(0xE0 | (ch >> 12))
        out[1] = <uint8_t>(0x80 | ((ch >> 6) & 0x3F))
        out[2] = <uint8_t>(0x80 | (ch & 0x3F))
        return 3
    out[0] = <uint8_t>(0xF0 | (ch >> 18))
    out[1] = <uint8_t>(0x80 | ((ch >> 12) & 0x3F))
    out[2] = <uint8_t>(0x80 | ((ch >> 6) & 0x3F))
    out[3] = <uint8_t>(0x80 | (ch & 0x3F))
    return 4


cdef class _Buffer:
    """A growable byte buffer."""
    cdef uint8_t* data
    cdef Py_ssize_t capacity

    def __cinit__(self):
        self.capacity = 256
        self.data = <uint8_t*>malloc(self.capacity)
        if self.data == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.data)

    cdef int reserve(self, Py_ssize_t size) except -1:
        cdef uint8_t* grown
        if size > self.capacity:
            grown = <uint8_t*>realloc(self.data, size * 2)
            if grown == NULL:
                raise MemoryError()
            self.data = grown
            self.capacity = size * 2
        return 0


cdef extern from "Python.h":
    int PyUnicode_KIND(object text)
    void* PyUnicode_DATA(object text)
    bint PyUnicode_IS_ASCII(object text)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index) nogil
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil  # what \w matches in str patterns (with "_")
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch) nogil  # what str.split() splits on


cdef inline bint _is_word(Py_UCS4 ch) noexcept nogil:
    if ch < 128:
        return (48 <= ch <= 57) or (65 <= ch <= 90) or (97 <= ch <= 122) or ch == 95  # [0-9A-Za-z_]
    return Py_UNICODE_ISALNUM(ch)


cdef inline bint _is_space(Py_UCS4 ch) noexcept nogil:
    if ch < 128:
        return ch == 32 or 9 <= ch <= 13 or 28 <= ch <= 31  # the ASCII characters str.isspace() accepts
    return Py_UNICODE_ISSPACE(ch)


cdef inline bint _in_run(Py_UCS4 ch, bint words) noexcept nogil:
    return _is_word(ch) if words else not _is_space(ch)


cdef inline Py_ssize_t _next_run(int kind, void* data, Py_ssize_t n, Py_ssize_t* i, bint words) noexcept:
    """Move ``i[0]`` past the next maximal run of word characters (``words``) or of non-space characters;
    return where the run starts (``n`` where there is none)."""
    while i[0] < n and not _in_run(PyUnicode_READ(kind, data, i[0]), words):
        i[0] += 1
    cdef Py_ssize_t first = i[0]
    while i[0] < n and _in_run(PyUnicode_READ(kind, data, i[0]), words):
        i[0] += 1
    return first


cdef inline Py_ssize_t _encode(int kind, void* data, Py_ssize_t first, Py_ssize_t end, uint8_t* out,
                               vector[Py_ssize_t]* offsets) noexcept:
    """Write the UTF-8 bytes of characters ``first .. end`` to ``out``; return how many (-1 for a surrogate).
    With ``offsets``, append the byte offset after each character (counted from ``out``, plus the last one
    there)."""
    cdef Py_ssize_t size = 0, k, base = offsets[0].back() if offsets != NULL else 0
    cdef int written
    for k in range(first, end):
        written = _utf8(PyUnicode_READ(kind, data, k), out + size)
        if written < 0:
            return -1
        size += written
        if offsets != NULL:
            offsets[0].push_back(base + size)
    return size


cdef bint _ASCII_WORD[256]  # _is_word of each ASCII code (False above 127)
cdef bint _ASCII_SPACE[256]  # _is_space of each ASCII code (False above 127)
for _code in range(256):
    _ASCII_WORD[_code] = _code < 128 and _is_word(_code)
    _ASCII_SPACE[_code] = _code < 128 and _is_space(_code)


cdef int _word_columns(unicode text, Py_ssize_t n_features, _Buffer buffer, vector[Py_ssize_t]& starts,
                       vector[int32_t]& out) except -2:
    """Append the word 1-2-gram columns of one lower-cased text to ``out``; -1 if it cannot be encoded."""
    cdef Py_ssize_t n = len(text), size = 0, i = 0, j, first, width, written
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef const uint8_t* ascii = <const uint8_t*>data
    cdef bint is_ascii = PyUnicode_IS_ASCII(text)  # then the characters are their UTF-8 bytes: runs are copied
    buffer.reserve(4 * n + 8)
    starts.clear()
    while True:  # each maximal run of word characters, encoded one after the other
        if is_ascii:
            while i < n and not _ASCII_WORD[ascii[i]]:
                i += 1
            first = i
            while i < n and _ASCII_WORD[ascii[i]]:
                i += 1
        else:
            first = _next_run(kind, data, n, &i, True)
        if first == n:
            break
        if i - first < 2:
            continue
        starts.push_back(size)
        if is_ascii:
            memcpy(buffer.data + size, ascii + first, i - first)
            written = i - first
        else:
            written = _encode(kind, data, first, i, buffer.data + size, NULL)
        if written < 0:
            return -1
        size += written
    starts.push_back(size)
    for j in range(<Py_ssize_t>starts.size() - 1):
        out.push_back(_column(buffer.data + starts[j], starts[j + 1] - starts[j], n_features))
    for j in range(<Py_ssize_t>starts.size() - 2):  # bigrams: "first second", built after the tokens
        width = starts[j + 2] - starts[j] + 1
        first = starts[j + 1] - starts[j]
        buffer.reserve(size + width)
        memcpy(buffer.data + size, buffer.data + starts[j], first)
        buffer.data[size + first] = 32  # " "
        memcpy(buffer.data + size + first + 1, buffer.data + starts[j + 1], width - first - 1)
        out.push_back(_column(buffer.data + size, width, n_features))
    return 0


cdef int _char_wb_columns(unicode text, Py_ssize_t n_features, int min_n, int max_n, _Buffer buffer,
                          vector[Py_ssize_t]& offsets, vector[int32_t]& out) except -2:
    """Append the padded-word character n-gram columns of one lower-cased text to ``out``; -1 if it cannot be
    encoded."""
    cdef Py_ssize_t n = len(text), i = 0, first, size, written
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    if min_n > max_n:  # no lengths: no character n-grams (and nothing to encode)
        return 0
    buffer.reserve(4 * n + 8)
    if PyUnicode_IS_ASCII(text):  # one byte per character: n-grams are byte ranges of the padded word
        _ascii_char_wb_columns(<const uint8_t*>data, n, n_features, min_n, max_n, buffer.data, out)
        return 0
    while True:
        first = _next_run(kind, data, n, &i, False)  # a whitespace-free word, padded with a space on each side
        if first == n:
            break
        offsets.clear()
        offsets.push_back(0)
        buffer.data[0] = 32
        offsets.push_back(1)
        written = _encode(kind, data, first, i, buffer.data + 1, &offsets)
        if written < 0:
            return -1
        size = 1 + written
        buffer.data[size] = 32
        size += 1
        offsets.push_back(size)
        _padded_word_columns(buffer.data, offsets.data(), i - first + 2, n_features, min_n, max_n, out)
    return 0


cdef void _ascii_char_wb_columns(const uint8_t* text, Py_ssize_t n, Py_ssize_t n_features, int min_n, int max_n,
                                 uint8_t* padded, vector[int32_t]& out) noexcept:
    """:func:`_char_wb_columns` of an ASCII text (``padded``: room for ``n + 2`` bytes)."""
    cdef Py_ssize_t i = 0, first
    while True:
        while i < n and _ASCII_SPACE[text[i]]:
            i += 1
        first = i
        while i < n and not _ASCII_SPACE[text[i]]:
            i += 1
        if first == n:
            break
        padded[0] = 32
        memcpy(padded + 1, text + first, i - first)
        padded[i - first + 1] = 32
        _padded_word_columns(padded, NULL, i - first + 2, n_features, min_n, max_n, out)


cdef inline void _padded_word_columns(const uint8_t* padded, const Py_ssize_t* offsets, Py_ssize_t length,
                                      Py_ssize_t n_features, int min_n, int max_n, vector[int32_t]& out) noexcept:
    """Append the columns of the ``min_n``- to ``max_n``-grams of one space-padded word of ``length``
    characters, UTF-8 encoded in ``padded``: character ``k`` starts at byte ``offsets[k]`` (``offsets`` NULL:
    one byte per character). A word shorter than an n-gram length is counted once, as scikit-learn's char_wb
    does."""
    cdef Py_ssize_t offset, end
    cdef int gram
    for gram in range(min_n, max_n + 1):
        offset = 0
        while True:
            end = offset + gram if offset + gram < length else length
            if offsets == NULL:
                out.push_back(_column(padded + offset, end - offset, n_features))
            else:
                out.push_back(_column(padded + offsets[offset], offsets[end] - offsets[offset], n_features))
            if offset + gram >= length:
                break
            offset += 1
        if offset == 0:  # a word shorter than the n-gram is counted once
            break


cdef int _text_columns(unicode text, Py_ssize_t n_features, int min_n, int max_n, _Buffer buffer,
                       vector[Py_ssize_t]& scratch, vector[int32_t]& words, vector[int32_t]& chars) except -2:
    """Replace ``words`` and ``chars`` by one text's word and character n-gram columns (unsorted); -1 if it
    cannot be encoded."""
    words.clear()
    chars.clear()
    if _word_columns(text, n_features, buffer, scratch, words) < 0:
        return -1
    return _char_wb_columns(text, n_features, min_n, max_n, buffer, scratch, chars)


cdef enum:
    _BUCKETS = 64  # n-gram columns are sorted by a bucket pass (64 equal column ranges), then insertion sort
    _BUCKETED_MAX = 4096  # ... up to this many columns; longer rows (a page-long "sentence") by a comparison sort


cdef vector[int32_t] _sorted_scratch


cdef void _sort_columns(vector[int32_t]& columns, Py_ssize_t n_features) noexcept:
    """Sort columns (all in ``[0, n_features)``) in place. A row holds a hundred or so columns spread evenly
    over the range: one bucket pass, then an insertion sort that moves values only within their bucket, is
    several times faster than a comparison sort (sorting took more than half of the n-gram time). The insertion
    sort's moves grow with the square of a bucket's size, so rows of more than ``_BUCKETED_MAX`` columns (a page
    dump without sentence punctuation is one sentence: a 5.2 MB one took 17 s) are sorted by ``std::sort``; both
    give the one sorted order."""
    cdef size_t n = columns.size(), i, j
    cdef Py_ssize_t counts[_BUCKETS + 1]
    cdef Py_ssize_t b
    cdef int shift = 0
    cdef int32_t value
    if n < 32 or n > _BUCKETED_MAX:
        sort(columns.begin(), columns.end())
        return
    while (<int64_t>1 << shift) < n_features:  # a column's bucket: its top 6 bits below 2 ** shift
        shift += 1
    shift = shift - 6 if shift > 6 else 0
    for b in range(_BUCKETS + 1):
        counts[b] = 0
    for i in range(n):
        counts[1 + (columns[i] >> shift)] += 1
    for b in range(_BUCKETS):
        counts[b + 1] += counts[b]
    _sorted_scratch.resize(n)
    for i in range(n):
        b = columns[i] >> shift
        _sorted_scratch[counts[b]] = columns[i]
        counts[b] += 1
    for i in range(1, n):
        value = _sorted_scratch[i]
        j = i
        while j > 0 and _sorted_scratch[j - 1] > value:
            _sorted_scratch[j] = _sorted_scratch[j - 1]
            j -= 1
        _sorted_scratch[j] = value
    for i in range(n):
        columns[i] = _sorted_scratch[i]


cdef void _append_normalised(vector[int32_t]& columns, int32_t shift, vector[double]& data,
                             vector[int32_t]& indices, Py_ssize_t n_features) noexcept:
    """Count equal columns (sorted), divide the counts by their L2 norm, append them (columns + ``shift``).

    The sum of squared whole counts is exact in any order, and sqrt and division are correctly rounded, so
    the values equal scikit-learn's ``normalize`` of the summed duplicates bit for bit."""
    cdef size_t i = 0, j, start = indices.size()
    cdef double squares = 0.0, count, norm
    _sort_columns(columns, n_features)
    while i < columns.size():
        j = i
        while j < columns.size() and columns[j] == columns[i]:
            j += 1
        count = <double>(j - i)
        squares += count * count
        indices.push_back(columns[i] + shift)
        data.push_back(count)
        i = j
    if squares > 0.0:
        norm = sqrt(squares)
        for j in range(start, data.size()):
            data[j] /= norm


def ngram_rows(list texts, Py_ssize_t n_features, int min_n, int max_n):
    """``(data, indices, indptr)`` of the CSR matrix ``[words | chars]`` of :func:`winnow.model.ngram_matrix`
    for lower-cased texts: word 1-2-grams in columns ``[0, n_features)``, padded-word character n-grams
    (``min_n`` to ``max_n``) in ``[n_features, 2 n_features)``, each part L2-normalised; None if a text holds
    a lone surrogate."""
    cdef vector[double] data
    cdef vector[int32_t] indices, words, chars
    cdef vector[int64_t] indptr
    cdef vector[Py_ssize_t] scratch
    cdef _Buffer buffer = _Buffer()
    cdef unicode text
    indptr.push_back(0)
    for text in texts:
        if _text_columns(text, n_features, min_n, max_n, buffer, scratch, words, chars) < 0:
            return None
        _append_normalised(words, 0, data, indices, n_features)
        _append_normalised(chars, <int32_t>n_features, data, indices, n_features)
        indptr.push_back(indices.size())
    out_data = np.empty(data.size(), dtype=np.float64)
    out_indices = np.empty(indices.size(), dtype=np.int32)
    out_indptr = np.empty(indptr.size(), dtype=np.int64)
    cdef double[::1] d = out_data
    cdef int32_t[::1] ix = out_indices
    cdef int64_t[::1] ip = out_indptr
    cdef size_t i
    for i in range(data.size()):
        d[i] = data[i]
        ix[i] = indices[i]
    for i in range(indptr.size()):
        ip[i] = indptr[i]
    return out_data, out_indices, out_indptr


cdef double _dot_normalised(vector[int32_t]& columns, Py_ssize_t shift, const double* coef, double total,
                            Py_ssize_t n_features) noexcept:
    """``total`` plus the dot product of ``coef`` and the row part :func:`_append_normalised` would append (the
    same counts divided by the same norm), added term by term in column order, as scipy's ``csr_matvec`` adds
    a row's stored values: the result is bit for bit that of the matrix product."""
    cdef size_t i = 0, j, k
    cdef double squares = 0.0, count, norm
    cdef int32_t column
    _sort_columns(columns, n_features)
    while i < columns.size():  # first pass: the norm
        j = i
        while j < columns.size() and columns[j] == columns[i]:
            j += 1
        count = <double>(j - i)
        squares += count * count
        i = j
    if squares == 0.0:
        return total
    norm = sqrt(squares)
    i = 0
    while i < columns.size():
        column = columns[i]
        j = i
        while j < columns.size() and columns[j] == column:
            j += 1
        total = total + (<double>(j - i) / norm) * coef[column + shift]
        i = j
    return total


def ngram_decisions(list texts, Py_ssize_t n_features, int min_n, int max_n, const double[::1] coef):
    """``ngram_rows``' matrix times ``coef`` (length ``2 n_features``), one value per text, without building the
    matrix: each row's terms are added in column order from 0.0, as scipy's sparse matrix-vector product adds
    them, so the values are bit for bit ``csr_matrix(ngram_rows(...)) @ coef``; None if a text holds a lone
    surrogate."""
    if coef.shape[0] != 2 * n_features:
        raise ValueError(f"coef has {coef.shape[0]} values, the n-grams {2 * n_features} columns")
    cdef vector[int32_t] words, chars
    cdef vector[Py_ssize_t] scratch
    cdef _Buffer buffer = _Buffer()
    cdef unicode text
    cdef Py_ssize_t row = 0
    out = np.empty(len(texts), dtype=np.float64)
    cdef double[::1] o = out
    cdef double total
    for text in texts:
        if _text_columns(text, n_features, min_n, max_n, buffer, scratch, words, chars) < 0:
            return None
        total = _dot_normalised(words, 0, &coef[0], 0.0, n_features)
        o[row] = _dot_normalised(chars, n_features, &coef[0], total, n_features)
        row += 1
    return out


cdef extern from "Python.h":
    bint Py_UNICODE_ISUPPER(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISDIGIT(Py_UCS4 ch) nogil


cdef inline bint _stripped_at_end(Py_UCS4 ch) noexcept nogil:
    # features._STRIPPED_AT_END: " ' ” ’ ) ] and space
    return ch == 34 or ch == 39 or ch == 0x201D or ch == 0x2019 or ch == 41 or ch == 93 or ch == 32


cdef enum:
    _SHORT_WORD = 16  # bytes a _ShortWords key holds
    _SHORT_SLOTS = 4096  # open-addressing slots (a power of two, well above the number of words held)


cdef class _ShortWords:
    """A set of ASCII words of at most 16 bytes (ValueError for a longer one, or one holding NUL), each packed
    into two 64-bit integers (zero-padded: a word of ``\\w`` characters holds no NUL), looked up by a
    multiplicative hash and linear probing: several times faster than a ``std::unordered_set<std::string>``
    of them (the stop-word lookup was half of text_counts)."""
    cdef uint64_t keys[_SHORT_SLOTS][2]
    cdef bint used[_SHORT_SLOTS]
    cdef readonly Py_ssize_t longest

    def __init__(self, words):
        cdef bytes encoded
        cdef uint64_t lo, hi
        cdef Py_ssize_t k, held = 0
        for k in range(_SHORT_SLOTS):
            self.used[k] = False
        self.longest = 0
        for word in words:
            if not isinstance(word, str) or not (<str>word).isascii() or not word:
                continue  # not held: text_counts looks non-ASCII words up in the Python set, and no word is empty
            encoded = (<str>word).encode("ascii")
            if len(encoded) > _SHORT_WORD or b"\0" in encoded:
                raise ValueError("ASCII words must have at most 16 characters and no NUL")
            lo = hi = 0
            for k in range(len(encoded)):
                lo, hi = _packed(lo, hi, k, encoded[k])
            if not self.contains(lo, hi):
                held += 1
                if 2 * held > _SHORT_SLOTS:
                    raise ValueError("too many words")
                self._insert(lo, hi)
            self.longest = max(self.longest, len(encoded))

    cdef void _insert(self, uint64_t lo, uint64_t hi) noexcept:
        cdef uint64_t slot = _slot(lo, hi)
        while self.used[slot]:
            slot = (slot + 1) & (_SHORT_SLOTS - 1)
        self.keys[slot][0], self.keys[slot][1], self.used[slot] = lo, hi, True

    cdef inline bint contains(self, uint64_t lo, uint64_t hi) noexcept nogil:
        cdef uint64_t slot = _slot(lo, hi)
        while self.used[slot]:
            if self.keys[slot][0] == lo and self.keys[slot][1] == hi:
                return True
            slot = (slot + 1) & (_SHORT_SLOTS - 1)
        return False


cdef inline (uint64_t, uint64_t) _packed(uint64_t lo, uint64_t hi, Py_ssize_t position, uint64_t byte) noexcept nogil:
    """The key of a word with ``byte`` appended at ``position`` (< 16)."""
    if position < 8:
        return lo | (byte << (8 * position)), hi
    return lo, hi | (byte << (8 * (position - 8)))


cdef inline uint64_t _slot(uint64_t lo, uint64_t hi) noexcept nogil:
    return ((lo * 0x9E3779B97F4A7C15ULL) ^ (hi * 0xC2B2AE3D27D4EB4FULL)) >> (64 - 12)  # 12 bits: _SHORT_SLOTS


def text_counts(list texts, stop_words):
    """``winnow.features.TEXT_COUNTS`` of every text as an int64 array of shape (n, 14): characters; upper-case,
    digit and other (neither alphanumeric nor space) characters; words (maximal runs of ``\\w``), their
    characters, how many are stop words once lower-cased, how many start upper-case; whether the text, closing
    quotes/brackets/spaces stripped, ends in . ! ?, in ... or …, in : - | —; whether it starts upper-case; holds
    a double quote; how many commas. Character classes are CPython's own (``str.isupper`` and the rest)."""
    cdef Py_ssize_t n_texts = len(texts), row = 0, n, i, first, last
    cdef int64_t upper, digit, other, quote, commas, words, word_chars, stops, capitalised
    cdef int kind
    cdef void* data
    cdef Py_UCS4 ch
    cdef bint ascii_word, first_upper
    cdef unicode text
    cdef _ShortWords ascii_stops = _ShortWords(stop_words)
    cdef Py_ssize_t longest = ascii_stops.longest
    cdef uint64_t key_lo = 0, key_hi = 0
    out = np.zeros((n_texts, 14), dtype=np.int64)
    cdef int64_t[:, ::1] c = out
    for text in texts:
        n = len(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        c[row, 0] = n
        upper = digit = other = quote = commas = words = word_chars = stops = capitalised = 0
        first = -1  # where the word being read started (-1: not in a word)
        ascii_word = True
        for i in range(n + 1):  # one pass: character classes, and words (maximal runs of \w) as they end
            ch = PyUnicode_READ(kind, data, i) if i < n else 32  # a space after the text ends the last word
            if ch < 128:  # ASCII: the same classes, from the code point (CPython's lookups cost more)
                if 65 <= ch <= 90:
                    upper += 1
                elif 48 <= ch <= 57:
                    digit += 1
                elif not (97 <= ch <= 122) and not _is_space(ch):
                    other += 1
                if ch == 34:  # "
                    quote = 1
                elif ch == 44:  # ,
                    commas += 1
            else:
                if Py_UNICODE_ISUPPER(ch):
                    upper += 1
                if Py_UNICODE_ISDIGIT(ch):
                    digit += 1
                if not Py_UNICODE_ISALNUM(ch) and not Py_UNICODE_ISSPACE(ch):
                    other += 1
                if ch == 0x201C or ch == 0x201D:  # “ ”
                    quote = 1
            if i < n and _is_word(ch):
                if first < 0:
                    first = i
                    ascii_word = True
                    key_lo = key_hi = 0
                    first_upper = (65 <= ch <= 90) if ch < 128 else Py_UNICODE_ISUPPER(ch)
                if ch >= 128:
                    ascii_word = False
                elif i - first < longest:  # the word lower-cased, while it can still be a stop word
                    key_lo, key_hi = _packed(key_lo, key_hi, i - first, <uint64_t>ch + (32 if 65 <= ch <= 90 else 0))
            elif first >= 0:  # the word ends before i
                words += 1
                word_chars += i - first
                if first_upper:
                    capitalised += 1
                if ascii_word:
                    if i - first <= longest and ascii_stops.contains(key_lo, key_hi):
                        stops += 1
                elif text[first:i].lower() in stop_words:
                    stops += 1
                first = -1
        c[row, 1], c[row, 2], c[row, 3], c[row, 4], c[row, 5] = upper, digit, other, words, word_chars
        c[row, 6], c[row, 7], c[row, 12], c[row, 13] = stops, capitalised, quote, commas
        last = n - 1
        while last >= 0 and _stripped_at_end(PyUnicode_READ(kind, data, last)):
            last -= 1
        if last >= 0:
            ch = PyUnicode_READ(kind, data, last)
            c[row, 8] = ch == 46 or ch == 33 or ch == 63  # . ! ?
            c[row, 9] = ch == 0x2026 or (last >= 2 and ch == 46 and PyUnicode_READ(kind, data, last - 1) == 46
                                         and PyUnicode_READ(kind, data, last - 2) == 46)  # … or ...
            c[row, 10] = ch == 58 or ch == 45 or ch == 124 or ch == 0x2014  # : - | —
        if n > 0:
            c[row, 11] = Py_UNICODE_ISUPPER(PyUnicode_READ(kind, data, 0))
        row += 1
    return out


cdef class ChunkFinder:
    """Where sentence boundaries can be, and the sentence spans of blocks, for ``winnow.segment._Sentencizer``
    (the compiled half of ``_candidates`` and ``split``, whose Python definitions are ``_candidates_python`` and
    ``_split_python``): built once from the sentencizer's ``punct_chars`` (single characters)."""
    cdef bint ascii_final[128]
    cdef unordered_set[uint32_t] other_final
    cdef bint ascii_punct_start[128]
    cdef unordered_map[uint32_t, bint] other_punct_start
    cdef object category

    def __init__(self, final_chars):
        import unicodedata

        cdef int i
        self.category = unicodedata.category
        for i in range(128):
            self.ascii_final[i] = False
            self.ascii_punct_start[i] = self.category(chr(i)).startswith("P")
        for char in final_chars:
            if len(char) != 1:
                raise ValueError("sentence-final characters must be single characters")
            if ord(char) < 128:
                self.ascii_final[ord(char)] = True
            else:
                self.other_final.insert(ord(char))

    cdef inline bint _final(self, Py_UCS4 ch) noexcept:
        if ch < 128:
            return self.ascii_final[<uint32_t>ch]
        return self.other_final.count(<uint32_t>ch) > 0

    cdef bint _may_start_punctuation(self, Py_UCS4 ch) except -1:
        """``winnow.segment._may_start_punctuation`` of a chunk starting with ``ch``: Unicode category P*."""
        if ch < 128:
            return self.ascii_punct_start[<uint32_t>ch]
        found = self.other_punct_start.find(<uint32_t>ch)
        if found != self.other_punct_start.end():
            return deref(found).second
        value = self.category(chr(ch)).startswith("P")
        self.other_punct_start[<uint32_t>ch] = value
        return value

    def candidates(self, unicode block):
        """``(start, end)`` of every whitespace-free chunk of ``block`` holding a sentence-final character, in
        order."""
        cdef Py_ssize_t n = len(block), i, start, end = -1
        cdef int kind = PyUnicode_KIND(block)
        cdef void* data = PyUnicode_DATA(block)
        out = []
        for i in range(n):
            if i < end or not self._final(PyUnicode_READ(kind, data, i)):
                continue
            start = i
            while start > 0 and not _is_space(PyUnicode_READ(kind, data, start - 1)):
                start -= 1
            end = i + 1
            while end < n and not _is_space(PyUnicode_READ(kind, data, end)):
                end += 1
            out.append((start, end))
        return out

    def needed(self, list blocks, dict cache):
        """Each block's candidate chunks, and the chunks the spans need tokens of that ``cache`` lacks: every
        candidate, and the chunk after one (after a single space) where it may start with punctuation."""
        cdef Py_ssize_t n, start, end, follower_end
        cdef int kind
        cdef void* data
        cdef unicode block
        all_candidates = []
        wanted = set()
        for block in blocks:
            found = self.candidates(block)
            all_candidates.append(found)
            n = len(block)
            kind = PyUnicode_KIND(block)
            data = PyUnicode_DATA(block)
            for start, end in found:
                wanted.add(block[start:end])
                if end + 1 < n and PyUnicode_READ(kind, data, end) == 32 \
                        and not _is_space(PyUnicode_READ(kind, data, end + 1)) \
                        and self._may_start_punctuation(PyUnicode_READ(kind, data, end + 1)):
                    follower_end = end + 1
                    _next_run(kind, data, n, &follower_end, False)  # the chunk starting there
                    wanted.add(block[end + 1:follower_end])
        return all_candidates, [chunk for chunk in wanted if chunk not in cache]

    def spans(self, list blocks, list candidates, dict cache, tokens):
        """The sentence spans of each block (stripped, non-empty) from its candidate chunks and the chunks'
        tokens: ``cache[chunk]``, else ``tokens(chunk)``, as ``(start, is_final, is_punct)`` triples."""
        cdef unicode block
        out = []
        for block, found in zip(blocks, candidates, strict=True):
            out.append(self._block_spans(block, found, cache, tokens) if found else [(0, len(block))])
        return out

    cdef list _block_spans(self, unicode block, list found, dict cache, tokens):
        cdef Py_ssize_t n = len(block), start, end, position = 0, gap_end, chunk_end
        cdef int kind = PyUnicode_KIND(block)
        cdef void* data = PyUnicode_DATA(block)
        cdef vector[Py_ssize_t] starts
        cdef unordered_set[Py_ssize_t] candidate_starts
        cdef bint seen_final
        starts.push_back(0)
        for start, end in found:
            candidate_starts.insert(start)
        for start, end in found:
            if start < position:  # already read as the chunk after a sentence-final one
                continue
            seen_final = _advance(block[start:end], start, False, starts, cache, tokens)
            position = end
            while seen_final and position < n:
                gap_end = position
                while gap_end < n and _is_space(PyUnicode_READ(kind, data, gap_end)):
                    gap_end += 1
                if gap_end - position != 1 or PyUnicode_READ(kind, data, position) != 32:
                    starts.push_back(position)  # a whitespace token: neither punctuation nor sentence-final
                    break
                if gap_end == n:  # (stripped blocks never end in whitespace)
                    break
                chunk_end = gap_end
                _next_run(kind, data, n, &chunk_end, False)  # the chunk starting there
                if candidate_starts.count(gap_end) or self._may_start_punctuation(PyUnicode_READ(kind, data, gap_end)):
                    seen_final = _advance(block[gap_end:chunk_end], gap_end, True, starts, cache, tokens)
                else:  # its first token is not punctuation, and none of its tokens is sentence-final
                    starts.push_back(gap_end)
                    seen_final = False
                position = chunk_end
        return _trimmed(block, starts)


cdef bint _advance(unicode chunk, Py_ssize_t offset, bint seen_final, vector[Py_ssize_t]& starts, dict cache,
                   tokens) except -1:
    """The sentencizer rule over one chunk's tokens (``winnow.segment._Sentencizer._advance``)."""
    cdef Py_ssize_t start
    found = cache.get(chunk)
    if found is None:
        found = tokens(chunk)
    for token in found:
        start = token[0]
        if seen_final and not token[2] and not token[1]:
            if offset + start > 0:
                starts.push_back(offset + start)
            seen_final = False
        elif token[1]:
            seen_final = True
    return seen_final


cdef struct _TreeNode:
    double threshold  # a split: go right where x > threshold; a leaf: +inf (so nothing ever leaves it)
    uint32_t feature  # a leaf: 0
    uint32_t child    # the left child (the right one is child + 1); a leaf: itself


cdef enum:
    _LANES = 16  # rows walked through a tree together (independent walks keep the CPU busy between loads)


cdef class TreeEnsemble:
    """The trees of a binary ``HistGradientBoostingClassifier`` (numeric splits only), flattened for
    :meth:`raw_predict`, which gives exactly the booster's ``_raw_predict``: for each row, ``0.0 + baseline``
    plus the leaf value of each tree in turn, the leaf found as scikit-learn's ``_predict_one_from_raw_data``
    does (NaN goes the node's missing direction, else ``x <= threshold`` goes left).

    Built from one tuple per tree of the node arrays ``(feature_idx, num_threshold, missing_go_to_left, left,
    right, is_leaf, value)`` (``PREDICTOR_RECORD_DTYPE`` fields); raises ValueError on anything else (a node
    out of range, a cycle, a NaN threshold).

    Layout: the nodes of each tree breadth-first with siblings side by side, so a step is
    ``node = child + (x > threshold)``; a leaf points at itself with threshold +inf, so a walk that has ended
    stays put while the other rows of its group go on. Where a row holds NaN, a step also sends NaN right
    at nodes whose missing values go right (``x > t`` is false for NaN, which therefore goes left otherwise)."""
    cdef vector[_TreeNode] nodes
    cdef vector[double] leaf_value
    cdef vector[uint8_t] missing_left
    cdef vector[uint32_t] roots
    cdef double baseline
    cdef readonly Py_ssize_t n_features

    def __init__(self, list trees, double baseline, Py_ssize_t n_features):
        self.baseline = baseline
        self.n_features = n_features
        for tree in trees:
            self._add_tree(tree)

    cdef _add_tree(self, tuple tree):
        feature, threshold, missing_left, left, right, is_leaf, value = tree
        cdef Py_ssize_t n = len(is_leaf), k = 0, old, base = self.nodes.size()
        cdef _TreeNode node
        cdef uint8_t goes_left  # typed: Cython 3.3 miscompiles push_back(1 if ... else 0) (a dangling temporary)
        cdef double leaf
        if n == 0 or base + n >= 2**31:
            raise ValueError("a tree without nodes, or too many nodes")
        order = [0]  # breadth-first: new position -> sklearn's node index
        seen = {0}
        while k < len(order):
            old = order[k]
            if not is_leaf[old]:
                for child in (int(left[old]), int(right[old])):
                    if not 0 <= child < n or child in seen:
                        raise ValueError("tree nodes do not form a tree")
                    seen.add(child)
                    order.append(child)
            k += 1
        position = {old: new for new, old in enumerate(order)}
        self.roots.push_back(base)
        for k in range(len(order)):
            old = order[k]
            if is_leaf[old]:
                node.threshold, node.feature, node.child = float("inf"), 0, base + k
                leaf, goes_left = value[old], 1
            else:
                if not 0 <= feature[old] < self.n_features or threshold[old] != threshold[old]:
                    raise ValueError("a split on a feature out of range, or at a NaN threshold")
                node.threshold, node.feature = threshold[old], feature[old]
                node.child = base + position[int(left[old])]
                leaf, goes_left = 0.0, 1 if missing_left[old] else 0
            self.nodes.push_back(node)
            self.leaf_value.push_back(leaf)
            self.missing_left.push_back(goes_left)

    def raw_predict(self, const double[:, :] X):
        """The raw (logit) prediction of each row of ``X`` (float64, ``n_features`` columns, C- or
        Fortran-contiguous: features are built column by column, so they come Fortran-ordered)."""
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, the trees expect {self.n_features}")
        cdef Py_ssize_t n = X.shape[0], start = 0, lanes, j, f
        cdef Py_ssize_t row_step = X.strides[0] // sizeof(double), column_step = X.strides[1] // sizeof(double)
        out = np.empty(n, dtype=np.float64)
        if n == 0:
            return out
        if not ((column_step == 1 and row_step == self.n_features) or (row_step == 1 and column_step == n)):
            raise ValueError("X must be C- or Fortran-contiguous")
        cdef double[::1] o = out
        cdef uint8_t[::1] nan_in_row = np.zeros(n, dtype=np.uint8)
        cdef const double* base = &X[0, 0]
        cdef const double* column
        cdef const double* rows[_LANES]
        cdef double total[_LANES]
        cdef bint has_nan
        with nogil:
            if column_step == 1:  # a row's features side by side
                for j in range(n):
                    nan_in_row[j] = _any_nan(base + j * row_step, self.n_features)
            else:  # a feature's rows side by side: scan column by column
                for f in range(self.n_features):
                    column = base + f * column_step
                    for j in range(n):
                        nan_in_row[j] |= column[j] != column[j]
            while start < n:
                lanes = _LANES if start + _LANES <= n else n - start
                has_nan = False
                for j in range(lanes):
                    rows[j] = base + (start + j) * row_step
                    has_nan = has_nan or nan_in_row[start + j]
                self._walk(rows, column_step, lanes, has_nan, total)
                for j in range(lanes):
                    o[start + j] = total[j]
                start += lanes
        return out

    cdef void _walk(self, const double** rows, Py_ssize_t column_step, Py_ssize_t lanes, bint has_nan,
                    double* total) noexcept nogil:
        """Sum the leaves of every tree, in order, for up to ``_LANES`` rows (feature ``f`` of row ``j`` at
        ``rows[j][f * column_step]``)."""
        cdef const _TreeNode* nodes = self.nodes.data()
        cdef const uint8_t* missing_left = self.missing_left.data()
        cdef const double* leaf_value = self.leaf_value.data()
        cdef const uint32_t* roots = self.roots.data()
        cdef uint32_t at[_LANES]
        cdef Py_ssize_t t, j
        for j in range(lanes):
            total[j] = 0.0  # scikit-learn: np.zeros, then += baseline
            total[j] = total[j] + self.baseline
        for t in range(<Py_ssize_t>self.roots.size()):
            for j in range(lanes):
                at[j] = roots[t]
            if has_nan:  # two copies of the walk, so the common one tests nothing more
                _walk_tree(nodes, missing_left, rows, column_step, lanes, at, True)
            else:
                _walk_tree(nodes, missing_left, rows, column_step, lanes, at, False)
            for j in range(lanes):
                total[j] = total[j] + leaf_value[at[j]]


cdef inline void _walk_tree(const _TreeNode* nodes, const uint8_t* missing_left, const double** rows,
                            Py_ssize_t column_step, Py_ssize_t lanes, uint32_t* at, bint has_nan) noexcept nogil:
    """Move every row of the group from ``at`` (a tree's root) down to its leaf."""
    cdef const _TreeNode* node
    cdef uint32_t step, moved = 1
    cdef double x
    cdef Py_ssize_t j
    while moved:  # until every row of the group is at a leaf
        moved = 0
        for j in range(lanes):
            node = nodes + at[j]
            x = rows[j][node.feature * column_step]
            step = node.child + (x > node.threshold)
            if has_nan:
                step += (x != x) & (missing_left[at[j]] == 0)
            moved |= step ^ at[j]
            at[j] = step


cdef inline bint _any_nan(const double* row, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if row[i] != row[i]:
            return True
    return False


cdef struct _Literal:
    Py_ssize_t start   # offset of its characters in _LiteralIndex.chars
    Py_ssize_t length
    Py_ssize_t group   # the set of literals it belongs to


cdef class _LiteralIndex:
    """Literals bucketed by their first two characters (one-character literals by their only one)."""
    cdef vector[Py_UCS4] chars
    cdef vector[_Literal] literals
    cdef vector[vector[Py_ssize_t]] buckets  # 0: a non-ASCII first or second character; then one per ASCII pair
    cdef vector[int32_t] pair_bucket  # 128 * first + second -> its bucket, or -1
    cdef vector[vector[Py_ssize_t]] singles  # one-character literals by character; 128: non-ASCII

    def __init__(self, list literal_sets):
        cdef Py_ssize_t group
        cdef _Literal literal
        cdef Py_UCS4 first, second
        self.buckets.resize(1)
        self.pair_bucket.assign(128 * 128, -1)
        self.singles.resize(129)
        for group in range(len(literal_sets)):
            for word in literal_sets[group]:
                if not word:
                    raise ValueError("literals must be non-empty")
                literal.start, literal.length, literal.group = self.chars.size(), len(word), group
                for char in word:
                    self.chars.push_back(ord(char))
                first = self.chars[literal.start]
                if literal.length == 1:
                    self.singles[first if first < 128 else 128].push_back(self.literals.size())
                else:
                    second = self.chars[literal.start + 1]
                    self.buckets[self._bucket(first, second)].push_back(self.literals.size())
                self.literals.push_back(literal)

    cdef Py_ssize_t _bucket(self, Py_UCS4 first, Py_UCS4 second):
        if first >= 128 or second >= 128:
            return 0
        cdef Py_ssize_t pair = 128 * <Py_ssize_t>first + <Py_ssize_t>second
        if self.pair_bucket[pair] < 0:
            self.pair_bucket[pair] = self.buckets.size()
            self.buckets.push_back(vector[Py_ssize_t]())
        return self.pair_bucket[pair]


cdef inline bint _holds_at(int kind, void* data, Py_ssize_t at, vector[Py_UCS4]& chars,
                           _Literal literal) noexcept:
    cdef Py_ssize_t j
    for j in range(literal.length):
        if PyUnicode_READ(kind, data, at + j) != chars[literal.start + j]:
            return False
    return True


def literal_rows(unicode text, const int64_t[::1] ends, list literal_sets):
    """For each set of literals in ``literal_sets``: the rows whose part of ``text`` holds one of them, in order
    (the compiled half of ``winnow.features.FoldedTexts.candidates``; its Python definition is
    ``FoldedTexts.rows_holding``, one ``str.find`` per literal).

    ``text`` is many texts joined by separators; row ``r`` is ``text[ends[r - 1]:ends[r]]`` (``ends`` ascending,
    the last at least ``len(text)``). An occurrence counts for the row it starts in. One scan finds every
    literal: each position is checked only against the literals starting with its two characters.
    """
    cdef _LiteralIndex index = _LiteralIndex(literal_sets)
    cdef Py_ssize_t n_groups = len(literal_sets), n_rows = ends.shape[0], n = len(text), i, j, k, row = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 ch, next_ch
    cdef int32_t bucket
    cdef _Literal literal
    cdef vector[Py_ssize_t]* candidates
    cdef vector[char] marked = vector[char](n_groups * n_rows, 0)
    cdef vector[vector[Py_ssize_t]] hits = vector[vector[Py_ssize_t]](n_groups)
    for i in range(n):
        ch = PyUnicode_READ(kind, data, i)
        for k in range(2):
            if k == 0:
                candidates = &index.singles[ch if ch < 128 else 128]
            else:
                if i + 1 >= n:
                    break
                next_ch = PyUnicode_READ(kind, data, i + 1)
                if ch < 128 and next_ch < 128:
                    bucket = index.pair_bucket[128 * <Py_ssize_t>ch + <Py_ssize_t>next_ch]
                    if bucket < 0:
                        break
                else:
                    bucket = 0
                candidates = &index.buckets[bucket]
            for j in range(<Py_ssize_t>candidates.size()):
                literal = index.literals[candidates[0][j]]
                if i + literal.length > n or not _holds_at(kind, data, i, index.chars, literal):
                    continue
                while row < n_rows and i >= ends[row]:
                    row += 1
                if row < n_rows and not marked[literal.group * n_rows + row]:
                    marked[literal.group * n_rows + row] = 1
                    hits[literal.group].push_back(row)
    return [list(rows) for rows in hits]


def window_sums(const double[:, ::1] values, const int64_t[::1] bounds, list radii):
    """For each radius: per row, the sum of ``values`` over rows ``i - radius .. i + radius`` clipped to the
    row's article (articles are the row ranges between consecutive ``bounds``), column by column, and how many
    rows that window holds; as arrays of shape (len(radii), rows, columns) and (len(radii), rows).

    The compiled half of ``winnow.features._window_sums``, whose arithmetic it repeats exactly: per article a
    running sum from a row of zeros (the first value taken as is, as ``numpy.cumsum`` does), then the
    difference of two running sums.
    """
    cdef Py_ssize_t n = values.shape[0], m = values.shape[1], n_radii = len(radii), a, k, c, r, lo, hi, length
    cdef Py_ssize_t start, end, radius, longest = 0
    for a in range(bounds.shape[0] - 1):
        if bounds[a] < 0 or bounds[a + 1] < bounds[a] or bounds[a + 1] > n:
            raise ValueError("bounds must be ascending offsets into the rows")
        longest = max(longest, bounds[a + 1] - bounds[a])
    sums_out = np.zeros((n_radii, n, m), dtype=np.float64)
    sizes_out = np.zeros((n_radii, n), dtype=np.int64)
    cdef double[:, :, ::1] sums = sums_out
    cdef int64_t[:, ::1] sizes = sizes_out
    cdef vector[Py_ssize_t] radius_of
    for radius in radii:
        if radius < 0:
            raise ValueError("radii must be non-negative")
        radius_of.push_back(radius)
    cdef vector[double] running = vector[double]((longest + 1) * m, 0.0)
    for a in range(bounds.shape[0] - 1):
        start, end = bounds[a], bounds[a + 1]
        length = end - start
        for k in range(length):
            for c in range(m):
                if k == 0:
                    running[m + c] = values[start, c]
                else:
                    running[(k + 1) * m + c] = running[k * m + c] + values[start + k, c]
        for r in range(n_radii):
            for k in range(length):
                lo = k - radius_of[r] if k > radius_of[r] else 0
                hi = k + radius_of[r] + 1 if k + radius_of[r] + 1 < length else length
                for c in range(m):
                    sums[r, start + k, c] = running[hi * m + c] - running[lo * m + c]
                sizes[r, start + k] = hi - lo
    return sums_out, sizes_out


def blocks(unicode text):
    """``(offset, block)`` of every non-blank line of ``text`` (split at ``\\r`` and ``\\n``), stripped of the
    whitespace ``str.strip`` strips; ``offset`` is where the stripped block starts (the compiled half of
    ``winnow.segment.iter_blocks``, whose Python definition is ``segment._iter_blocks_python``)."""
    cdef Py_ssize_t n = len(text), i = 0, start, end
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 ch
    out = []
    while i < n:
        ch = PyUnicode_READ(kind, data, i)
        if ch == 10 or ch == 13 or _is_space(ch):
            i += 1
            continue
        start = i  # the first character of a block that is not whitespace
        end = i + 1  # one past its last character that is not whitespace
        i += 1
        while i < n:
            ch = PyUnicode_READ(kind, data, i)
            if ch == 10 or ch == 13:
                break
            i += 1
            if not _is_space(ch):
                end = i
        out.append((start, text[start:end]))
    return out


def trimmed_spans(unicode block, list starts):
    """The spans between consecutive ``starts`` (ascending offsets into ``block``, then its end), trimmed of
    whitespace; whitespace-only spans dropped: how ``ChunkFinder.spans`` ends each block (its Python definition
    is ``winnow.segment._trimmed_python``)."""
    cdef vector[Py_ssize_t] offsets
    for start in starts:
        offsets.push_back(start)
    return _trimmed(block, offsets)


cdef list _trimmed(unicode block, vector[Py_ssize_t]& starts):
    cdef Py_ssize_t n = len(block), k, start, end, count = starts.size()
    cdef int kind = PyUnicode_KIND(block)
    cdef void* data = PyUnicode_DATA(block)
    out = []
    for k in range(count):
        start = starts[k]
        end = starts[k + 1] if k + 1 < count else n
        if start < 0 or end > n:
            raise ValueError("starts must be offsets into the block")
        while start < end and _is_space(PyUnicode_READ(kind, data, start)):
            start += 1
        while end > start and _is_space(PyUnicode_READ(kind, data, end - 1)):
            end -= 1
        if start < end:
            out.append((start, end))
    return out

def max_runs(const double[::1] values, const int64_t[::1] bounds):
    """For each page (rows ``bounds[k] .. bounds[k + 1]``), ``(lo, hi)`` of its contiguous run of rows with the
    largest sum of ``values``, relative to the page's first row (the compiled half of
    ``winnow.features.max_runs``; its Python definition is ``features._max_subarray``, page by page)."""
    cdef Py_ssize_t n_pages = bounds.shape[0] - 1 if bounds.shape[0] > 0 else 0, k, i, start, end, lo, best_lo
    cdef Py_ssize_t best_hi
    cdef double best, running
    if n_pages > 0 and (bounds[0] < 0 or bounds[n_pages] > values.shape[0]):
        raise ValueError("bounds must be offsets into values")
    lows = np.zeros(n_pages, dtype=np.int64)
    highs = np.zeros(n_pages, dtype=np.int64)
    cdef int64_t[::1] out_lo = lows
    cdef int64_t[::1] out_hi = highs
    for k in range(n_pages):
        start, end = bounds[k], bounds[k + 1]
        if end < start:
            raise ValueError("bounds must not decrease")
        best, best_lo, best_hi = -INFINITY, 0, 0
        running, lo = 0.0, 0
        for i in range(end - start):
            if running <= 0:
                running, lo = values[start + i], i
            else:
                running = running + values[start + i]
            if running > best:
                best, best_lo, best_hi = running, lo, i + 1
        out_lo[k], out_hi[k] = best_lo, best_hi
    return lows, highs


def chain_posteriors(const double[::1] p, const int64_t[::1] bounds, const double[::1] trans,
                     const double[::1] prior):
    """Posterior P(content) of every row under the within-block chain of :mod:`winnow.smoothing` (the compiled
    half of ``smoothing.smooth``; its Python definition is ``smoothing._posteriors_python``, the same operations
    in the same order). ``p`` is clipped already; ``trans`` is the (2, 2) matrix flattened; block k is rows
    ``bounds[k]:bounds[k + 1]``."""
    cdef Py_ssize_t n = p.shape[0], n_blocks = bounds.shape[0] - 1 if bounds.shape[0] > 0 else 0, k, i, lo, hi
    cdef double f0, f1, g0, g1, z, b0, b1, c0, c1, n0, n1, e0, e1
    if trans.shape[0] != 4 or prior.shape[0] != 2:
        raise ValueError("trans must hold 4 values, prior 2")
    if n_blocks < 0 or (n_blocks > 0 and (bounds[0] != 0 or bounds[n_blocks] != n)):
        raise ValueError("bounds must cover p")
    for k in range(n_blocks):
        if bounds[k + 1] < bounds[k]:
            raise ValueError("bounds must not decrease")
    result = np.empty(n, dtype=np.float64)
    forward = np.empty((n, 2), dtype=np.float64)
    cdef double[::1] out = result
    cdef double[:, ::1] fwd = forward
    with nogil:
        for k in range(n_blocks):
            lo, hi = bounds[k], bounds[k + 1]
            if hi - lo == 1:  # a sentence alone in its block keeps its (clipped) score
                out[lo] = p[lo]
                continue
            f0, f1 = 0.0, 0.0
            for i in range(lo, hi):
                e0, e1 = (1.0 - p[i]) / prior[0], p[i] / prior[1]
                if i == lo:
                    g0, g1 = prior[0] * e0, prior[1] * e1
                else:
                    g0, g1 = (f0 * trans[0] + f1 * trans[2]) * e0, (f0 * trans[1] + f1 * trans[3]) * e1
                z = g0 + g1
                f0, f1 = g0 / z, g1 / z
                fwd[i, 0], fwd[i, 1] = f0, f1
            b0, b1 = 1.0, 1.0
            i = hi - 1
            while i >= lo:
                g0, g1 = fwd[i, 0] * b0, fwd[i, 1] * b1
                out[i] = g1 / (g0 + g1)
                e0, e1 = (1.0 - p[i]) / prior[0], p[i] / prior[1]
                c0, c1 = e0 * b0, e1 * b1
                n0, n1 = trans[0] * c0 + trans[1] * c1, trans[2] * c0 + trans[3] * c1
                z = n0 + n1
                b0, b1 = n0 / z, n1 / z
                i -= 1
    return result

def page_columns(list blocks, list spans):
    """``(block numbers, starts, ends, texts)`` of a page's sentences, from its blocks ``(offset, block)`` and
    each block's sentence spans (offsets into the block): the columns of ``winnow.segment.PageSentences`` (the
    compiled half of ``segment.page_columns``, whose Python definition is ``segment._page_columns_python``)."""
    cdef Py_ssize_t block_no, offset, start, end, n = len(blocks)
    cdef unicode block
    cdef list block_spans
    if len(spans) != n:
        raise ValueError("one list of spans per block")
    numbers, starts, ends, texts = [], [], [], []
    for block_no in range(n):
        offset, block = blocks[block_no]
        block_spans = spans[block_no]
        for start, end in block_spans:
            numbers.append(block_no)
            starts.append(offset + start)
            ends.append(offset + end)
            texts.append(block[start:end])
    return numbers, starts, ends, texts


cdef extern from "Python.h":
    bint Py_UNICODE_ISDECIMAL(Py_UCS4 ch) nogil  # what \d matches in str patterns
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)


cdef inline bint _is_decimal(Py_UCS4 ch) noexcept nogil:
    if ch < 128:
        return 48 <= ch <= 57
    return Py_UNICODE_ISDECIMAL(ch)


def digits_to_zero(unicode text):
    """``re.sub(r"\\d", "0", text)``: every decimal digit (Unicode category Nd, what ``\\d`` matches) replaced
    by "0" (the compiled half of ``winnow.features.digits_to_zero``)."""
    cdef Py_ssize_t n = len(text), i, first = n
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef void* copy
    for i in range(n):
        if _is_decimal(PyUnicode_READ(kind, data, i)):
            first = i
            break
    if first == n:
        return text
    copy = malloc(n * kind)
    if copy == NULL:
        raise MemoryError()
    try:
        memcpy(copy, data, n * kind)
        for i in range(first, n):
            if _is_decimal(PyUnicode_READ(kind, data, i)):
                if kind == 1:
                    (<uint8_t*>copy)[i] = 48
                elif kind == 2:
                    (<uint16_t*>copy)[i] = 48
                else:
                    (<uint32_t*>copy)[i] = 48
        return PyUnicode_FromKindAndData(kind, copy, n)  # canonical: a narrower kind where the digits were widest
    finally:
        free(copy)


cdef inline bint _unit_letter(Py_UCS4 ch) noexcept nogil:
    # the first letters of the timestamp units, in either case (no other character IGNORECASE equates with them)
    return ch == 109 or ch == 104 or ch == 100 or ch == 77 or ch == 72 or ch == 68  # m h d M H D


cdef inline Py_UCS4 _folded_letter(Py_UCS4 ch) noexcept nogil:
    """The ASCII letter IGNORECASE equates ``ch`` with (lower case), else ``ch``: ASCII capitals and the four
    characters of ``winnow.features._FOLD_TO_ASCII``."""
    if 65 <= ch <= 90:
        return <Py_UCS4>(<uint32_t>ch + 32)
    if ch == 0x17F:  # long s
        return 115
    if ch == 0x212A:  # Kelvin sign
        return 107
    if ch == 0x130 or ch == 0x131:  # dotted capital I, dotless i
        return 105
    return ch


cdef inline uint32_t _three(Py_UCS4 a, Py_UCS4 b, Py_UCS4 c) noexcept nogil:
    return (<uint32_t>a << 16) | (<uint32_t>b << 8) | <uint32_t>c if a < 128 and b < 128 and c < 128 else 0


cdef uint32_t[12] _MONTHS = [_three(106, 97, 110), _three(102, 101, 98), _three(109, 97, 114), _three(97, 112, 114),
                             _three(109, 97, 121), _three(106, 117, 110), _three(106, 117, 108),
                             _three(97, 117, 103), _three(115, 101, 112), _three(111, 99, 116),
                             _three(110, 111, 118), _three(100, 101, 99)]  # jan feb ... dec


def timestamp_candidates(list texts):
    """For each text, False where ``winnow.features._TIMESTAMP`` cannot match it, case-insensitively (True
    does not mean it does). Every match holds a decimal digit followed by ``:`` or ``-`` or by a unit's first
    letter (after at most one whitespace character), or a month's name and a whitespace character followed by a
    digit."""
    cdef Py_ssize_t n, i, row = 0
    cdef int kind
    cdef void* data
    cdef Py_UCS4 ch, nxt
    cdef bint space_digit, found
    cdef unicode text
    out = np.zeros(len(texts), dtype=np.bool_)
    cdef uint8_t[::1] o = out.view(np.uint8)
    for text in texts:
        n = len(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        space_digit = found = False
        for i in range(n - 1):
            ch = PyUnicode_READ(kind, data, i)
            if _is_decimal(ch):
                nxt = PyUnicode_READ(kind, data, i + 1)
                if nxt == 58 or nxt == 45 or _unit_letter(nxt):  # : -
                    found = True
                    break
                if i + 2 < n and _is_space(nxt) and _unit_letter(PyUnicode_READ(kind, data, i + 2)):
                    found = True
                    break
            elif not space_digit and _is_space(ch) and _is_decimal(PyUnicode_READ(kind, data, i + 1)):
                space_digit = True
        o[row] = found or (space_digit and _holds_month(kind, data, n))
        row += 1
    return out


cdef bint _holds_month(int kind, void* data, Py_ssize_t n) noexcept:
    """Whether the text holds a month's name (jan ... dec), in any case IGNORECASE equates."""
    cdef Py_ssize_t i, k
    cdef Py_UCS4 a = 0, b = 0, ch
    cdef uint32_t key
    for i in range(n):
        ch = _folded_letter(PyUnicode_READ(kind, data, i))
        key = _three(a, b, ch)
        if key != 0:
            for k in range(12):
                if key == _MONTHS[k]:
                    return True
        a, b = b, ch
    return False


def join_kept(unicode text, list blocks, list starts, list ends, list sentences, const uint8_t[::1] keep):
    """The kept sentences of a page, one block per line (the compiled half of ``winnow.clean.join_kept`` for a
    page's columns; its Python definition is ``clean._join_kept_python``): a kept sentence after a kept one of
    the same block is joined to it by the text between them where that is whitespace, else by one space."""
    cdef Py_ssize_t n = len(sentences), i, current = -1, block, prev_end = -1, start, k
    cdef bint open_line = False, blank
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    if len(blocks) != n or len(starts) != n or len(ends) != n or keep.shape[0] != n:
        raise ValueError("blocks, starts, ends, sentences and keep must have the same length")
    pieces = []
    for i in range(n):
        if not keep[i]:
            prev_end = -1
            continue
        block = blocks[i]
        start = starts[i]
        if not open_line or block != current:
            if open_line:
                pieces.append("\n")
            current, open_line = block, True
        else:
            blank = prev_end >= 0 and start > prev_end
            if blank:
                for k in range(prev_end, start):
                    if not _is_space(PyUnicode_READ(kind, data, k)):
                        blank = False
                        break
            pieces.append(text[prev_end:start] if blank else " ")
        pieces.append(sentences[i])
        prev_end = ends[i]
    if open_line:
        pieces.append("\n")
    return "".join(pieces)


cdef bint _LATIN1_WORD[256]  # _is_word of every code point below 256, for the one-byte loop of word_counts
for _code in range(256):
    _LATIN1_WORD[_code] = _is_word(_code)


def word_counts(list texts):
    """How many ``\\w+`` tokens each text holds (maximal runs of ``_is_word``), as an int64 array: the compiled half
    of ``winnow.decode.word_counts``, whose Python definition counts ``re.findall(r"\\w+", text)``. A text stored
    one byte per character (ASCII and Latin-1: most pages) is read through a 256-entry table."""
    cdef Py_ssize_t n_texts = len(texts), row = 0, n, i
    cdef int kind
    cdef void* data
    cdef const uint8_t* narrow
    cdef bint in_word, is_word
    cdef int64_t words
    cdef unicode text
    out = np.zeros(n_texts, dtype=np.int64)
    cdef int64_t[::1] c = out
    for text in texts:
        n = len(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        words = 0
        in_word = False
        if kind == 1:
            narrow = <const uint8_t*>data
            for i in range(n):
                is_word = _LATIN1_WORD[narrow[i]]
                words += is_word and not in_word
                in_word = is_word
        else:
            for i in range(n):
                is_word = _is_word(PyUnicode_READ(kind, data, i))
                words += is_word and not in_word
                in_word = is_word
        c[row] = words
        row += 1
    return out

def best_expected_set(const double[::1] p, const double[::1] words, double gate):
    """The compiled half of ``winnow.decode.best_expected_set`` (its Python definition, whose docstring says what
    the set is): the same sort (P descending, ties in page order), the same sums in the same order, the first best
    k. Returns a bool array."""
    cdef Py_ssize_t n = p.shape[0], i, k, best = 0
    cdef double top = -INFINITY, true_words = 0.0, kept_words = 0.0, gold_words, value, best_value = -INFINITY
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    for i in range(n):
        if p[i] > top:
            top = p[i]
    if top < gate:
        return keep
    cdef vector[pair[double, Py_ssize_t]] order
    order.reserve(n)
    for i in range(n):
        order.push_back(pair[double, Py_ssize_t](-p[i], i))
    sort(order.begin(), order.end())  # P descending; equal P: page order (the pair's second element)
    cdef vector[double] cumulative
    cumulative.resize(n)
    for k in range(n):
        i = order[k].second
        true_words += p[i] * words[i]
        cumulative[k] = true_words
    gold_words = true_words
    cdef uint8_t[::1] out = keep.view(np.uint8)
    if gold_words <= 0:  # no sentence holds a word: the plain cut
        for i in range(n):
            out[i] = p[i] >= gate
        return keep
    for k in range(n):
        i = order[k].second
        kept_words += words[i]
        value = (cumulative[k] / kept_words if kept_words > 0 else 0.0) + cumulative[k] / gold_words
        if value > best_value:
            best_value, best = value, k
    for k in range(best + 1):
        out[order[k].second] = 1
    return keep
