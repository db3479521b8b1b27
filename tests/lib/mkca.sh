#!/usr/bin/env bash
# mkca.sh DIR: makes a throw-away PKI for the TLS tests with the openssl CLI
# (EC P-256 keys, so it takes well under a second). Idempotent: a complete DIR
# is left alone; concurrent runs on one DIR are serialised with flock.
#
#   ca.pem ca.key               test CA ("minimta test CA")
#   server.pem server.key       CN=localhost, SAN DNS:localhost DNS:mx.test
#                               DNS:relay.test IP:127.0.0.1 ... IP:127.0.0.9
#                               (serverAuth), chain: signed by ca
#   wrongname.pem wrongname.key CN/SAN wrong.example only, signed by ca
#   expired.pem expired.key     same names as server, signed by ca, valid
#                               2020-01-01 .. 2020-01-02 only
#   unknownca.pem unknownca.key same names as server, signed by another CA
#                               (otherca.pem/otherca.key) no test trusts
#   client.pem client.key       CN=client.test, SAN DNS:client.test
#                               (clientAuth), signed by ca
# OpenSSL 3.0 has no `x509 -not_before`, so the expired one is made with
# `openssl ca -startdate/-enddate` and a scratch CA database.
set -eu

dir=${1:?usage: mkca.sh DIR}
mkdir -p "$dir"
cd "$dir"

exec 9>.mkca.lock
flock -w 60 9 || { echo "mkca.sh: cannot lock $dir" >&2; exit 1; }
[ -f .complete ] && exit 0

work=$(mktemp -d .mkca.XXXXXX)
trap 'rm -rf "$dir/$work"' EXIT
dir=$(pwd)

sans="DNS:localhost,DNS:mx.test,DNS:relay.test"
for i in 1 2 3 4 5 6 7 8 9; do
	sans="$sans,IP:127.0.0.$i"
done

cat >"$work/ext.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $sans
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wrong_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.test
[ca]
default_ca = scratch
[scratch]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
EOF
: >"$work/index.txt"
echo 1000 >"$work/serial"

o()
{
	openssl "$@" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
}

key()
{
	o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# ca NAME CN: self-signed CA.
ca()
{
	key "$work/$1.key"
	o req -config "$work/ext.cnf" -new -x509 -key "$work/$1.key" \
	    -subj "/CN=$2" -days 3650 -sha256 -extensions ca_ext \
	    -out "$work/$1.pem"
}

# leaf NAME CN EXT CA [days]: key + CSR + cert signed by CA.
leaf()
{
	key "$work/$1.key"
	o req -config "$work/ext.cnf" -new -key "$work/$1.key" -subj "/CN=$2" \
	    -out "$work/$1.csr"
	o x509 -req -in "$work/$1.csr" -CA "$work/$4.pem" \
	    -CAkey "$work/$4.key" -set_serial "0x$(od -An -N8 -tx1 \
	    /dev/urandom | tr -d ' \n')" -days 3650 -sha256 \
	    -extfile "$work/ext.cnf" -extensions "$3" -out "$work/$1.pem"
}

ca ca "minimta test CA"
ca otherca "unknown test CA"
leaf server localhost server_ext ca
leaf wrongname wrong.example wrong_ext ca
leaf unknownca localhost server_ext otherca
leaf client client.test client_ext ca

key "$work/expired.key"
o req -config "$work/ext.cnf" -new -key "$work/expired.key" \
    -subj "/CN=localhost" -out "$work/expired.csr"
o ca -batch -config "$work/ext.cnf" -cert "$work/ca.pem" \
    -keyfile "$work/ca.key" -in "$work/expired.csr" -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z \
    -extensions server_ext -out "$work/expired.pem"

for n in ca otherca server wrongname unknownca client expired; do
	mv -f "$work/$n.pem" "$work/$n.key" .
done
# Test material only: readable by whatever user a test runs a server as.
chmod 644 ./*.key
touch .complete
