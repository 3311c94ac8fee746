# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"Check digits of Chinese identity numbers (DESIGN.md §1)."
import datetime
import operator

USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RESIDENT_ID_CHECK = '10X98765432'


#: The value of each character of a USCC
USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}


def uscc_check_character(code):
    "Return the check character of the first 17 characters of a USCC"
    total = sum(map(
            operator.mul, map(USCC_VALUES.__getitem__, code[:17]),
            USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code):
    "Unified social credit code per GB 32100-2015"
    # Checked for every row of an import: set and map work in C
    if not code or len(code) != 18 or not USCC_VALUES.keys() >= set(code):
        return False
    return code[17] == uscc_check_character(code)


def resident_id_check_character(code):
    "Return the check character of the first 17 digits of a resident ID"
    total = sum(int(c) * w for c, w in zip(code[:17], RESIDENT_ID_WEIGHTS))
    return RESIDENT_ID_CHECK[total % 11]


def is_valid_resident_id(code):
    "Resident identity number per GB 11643-1999"
    if not code or len(code) != 18 or not code[:17].isdigit():
        return False
    try:
        datetime.datetime.strptime(code[6:14], '%Y%m%d')
    except ValueError:
        return False
    return code[17] == resident_id_check_character(code)
