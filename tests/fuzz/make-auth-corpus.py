#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-auth (tests/fuzz/corpus-auth): EAP
conversations for the peer and the server, the test certificates of
tests/unit/auth/data, RFC 7427 AlgorithmIdentifiers and a DN."""
import base64
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus-auth')
DATA = os.path.join(HERE, '..', 'unit', 'auth', 'data')


def eap(code, ident, typ=None, data=b''):
    body = b'' if typ is None else bytes([typ]) + data
    return struct.pack('>BBH', code, ident, 4 + len(body)) + body


def ms(op, ms_id, body):
    return struct.pack('>BBH', op, ms_id, 4 + len(body)) + body


def records(selector, msgs):
    out = bytes([selector])
    for m in msgs:
        out += struct.pack('>H', len(m)) + m
    return out



def first_pem_der(name):
    text = open(os.path.join(DATA, name)).read()
    block = text.split('-----BEGIN CERTIFICATE-----')[1].split('-----END CERTIFICATE-----')[0]
    return base64.b64decode(''.join(block.split()))


seeds = {}
challenge = ms(1, 7, bytes([16]) + bytes(range(16)) + b'gw')
seeds['peer-mschapv2'] = records(0, [
    eap(1, 1, 1),
    eap(1, 2, 26, challenge),
    eap(1, 3, 26, ms(3, 7, b'S=' + b'0' * 40 + b' M=welcome')),
    eap(3, 3),
])
seeds['peer-failure'] = records(0, [
    eap(1, 5, 26, challenge),
    eap(1, 6, 26, ms(4, 7, b'E=691 R=0 C=' + b'0' * 32 + b' V=3 M=no')),
    eap(4, 6),
])
seeds['peer-notification-nak'] = records(0, [eap(1, 1, 2, b'hello'), eap(1, 2, 4, b'\x10' * 17)])
response = ms(2, 0, bytes([49]) + bytes(16) + bytes(8) + bytes(24) + b'\x00' + b'alice')
seeds['server-mschapv2'] = records(1, [
    eap(2, 0, 1, b'alice'),
    eap(2, 0, 26, response),
    eap(2, 0, 26, b'\x03'),
])
seeds['server-nak'] = records(1, [eap(2, 0, 1, b'bob'), eap(2, 0, 3, b'\x0d')])
for name in ('gw.pem', 'rw-ec.pem', 'ca.pem', 'expired.pem'):
    seeds['cert-' + name.split('.')[0]] = bytes([2]) + first_pem_der(name)
# RFC 7427 AlgorithmIdentifiers as AUTH data starts (length octet first)
rsa256 = bytes.fromhex('300d06092a864886f70d01010b0500')
ecdsa256 = bytes.fromhex('300a06082a8648ce3d040302')
pss = bytes.fromhex('3046 0609 2a864886f70d01010a 3039 a00f 300d 0609 608648016503040201 0500'
                    ' a11c 301a 0609 2a864886f70d010108 300d 0609 608648016503040201 0500'
                    ' a203 020120'.replace(' ', ''))
for name, alg in (('rsa256', rsa256), ('ecdsa256', ecdsa256), ('pss', pss)):
    seeds['sigalg-' + name] = bytes([3, len(alg)]) + alg + bytes(64)
seeds['der-dn'] = bytes([3]) + bytes.fromhex(
    '3030310b3009060355040613024348311430120603550408130b4379676e657420546573743110300e06'
    '035504031307677720746573')
seeds['pem'] = bytes([3]) + b'-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n'

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
print('wrote %d seeds to %s' % (len(seeds), OUT))
