#!/usr/bin/env python3
"""Writes Mantra's labeled redaction corpus: positives.jsonl and negatives.jsonl beside this file.

Every secret in it is invented here: random strings in the shape of the real thing, drawn from a
fixed seed so the output is the same on every run (the two .jsonl files are committed; running
this again must leave them unchanged, which `--check` verifies). Nothing here is a real
credential; the only published values are the AWS / Azurite documentation keys, which are
negatives.

  positives.jsonl  {"id", "rule", "text", "secret"}: "secret" occurs verbatim in "text" and is
                   what must disappear (for PEM blocks the whole block, for URLs with credentials
                   the password, for Authorization headers the value after the scheme, for
                   assignments the value without its quotes).
  negatives.jsonl  {"id", "text", "why"}: look-alikes that must not be flagged.

Each sample holds one secret only: the texts of other rules avoid private IPs, internal host
names and second credentials, so that a finding in a positive's file is about its own secret.

Usage: python3 tests/redaction/make_corpus.py [--check]   (prints the counts per rule / category)
Python 3 standard library only.
"""
import argparse
import base64
import collections
import json
import os
import random
import re
import string
import struct
import sys
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611

RULES = [
    "anthropic-api-key", "openai-api-key", "google-api-key", "aws-access-key-id",
    "aws-secret-access-key", "azure-storage-key", "azure-client-secret", "github-token",
    "gitlab-token", "slack-token", "slack-webhook", "stripe-key", "twilio-api-key",
    "sendgrid-api-key", "npm-token", "pypi-token", "huggingface-token", "private-key", "jwt",
    "authorization-header", "url-credentials", "db-connection-string", "password-assignment",
    "internal-host", "private-ip",
]

rnd = random.Random(SEED)

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"


def chars(n, alphabet=ALNUM):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def rbytes(n):
    return bytes(rnd.getrandbits(8) for _ in range(n))


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def digits(n):
    return rnd.choice("123456789") + chars(n - 1, DIGITS)


def uid():
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


# --- secret shapes -----------------------------------------------------------------------------

def anthropic_key():
    return "sk-ant-api03-" + chars(93, URLSAFE) + "AA"


def anthropic_admin_key():
    return "sk-ant-admin01-" + chars(93, URLSAFE) + "AA"


def openai_legacy():
    return "sk-" + chars(20) + "T3BlbkFJ" + chars(20)


def openai_project(kind="proj"):
    return "sk-%s-" % kind + chars(74, URLSAFE) + "T3BlbkFJ" + chars(74, URLSAFE)


def google_key():
    return "AIzaSy" + chars(33, URLSAFE)


BASE32 = UPPER + "234567"


def aws_key_id(prefix="AKIA"):
    return prefix + chars(16, BASE32)


def aws_secret():
    return chars(40, B64)


def azure_storage_key():
    return b64(rbytes(64))  # 88 characters, ends with "=="


def azure_client_secret():
    return chars(3, ALNUM) + rnd.choice(DIGITS) + "Q~" + chars(34, URLSAFE + "~.")


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = (DIGITS + UPPER + LOWER)[r] + out
    return out.rjust(width, "0")


def github_classic(prefix="ghp"):
    # 30 random base62 characters and a CRC32 checksum of them in base62, as GitHub does.
    body = chars(30)
    return prefix + "_" + body + base62(zlib.crc32(body.encode()), 6)


def github_fine_grained():
    return "github_pat_" + chars(22) + "_" + chars(59)


def gitlab_token():
    return "glpat-" + chars(20, URLSAFE)


def slack_bot():
    return "xoxb-%s-%s-%s" % (digits(12), digits(13), chars(24))


def slack_user():
    return "xoxp-%s-%s-%s-%s" % (digits(12), digits(12), digits(13), chars(32, HEX))


def slack_other(prefix):
    if prefix == "xoxa":  # workspace app token
        return "xoxa-2-%s-%s-%s-%s" % (digits(12), digits(12), digits(13), chars(32, HEX))
    if prefix == "xoxr":  # refresh token
        return "xoxr-%s-%s-%s" % (digits(12), digits(13), chars(32))
    return "xoxs-%s-%s-%s-%s" % (digits(10), digits(11), digits(12), chars(64, HEX))  # legacy session


def slack_webhook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        chars(8, UPPER + DIGITS), chars(10, UPPER + DIGITS), chars(24))


def stripe_key(prefix="sk_live_", long=True):
    return prefix + ("51" + chars(97) if long else chars(24))


def twilio_key():
    return "SK" + chars(32, HEX)


def sendgrid_key():
    return "SG." + chars(22, URLSAFE) + "." + chars(43, URLSAFE)


def npm_token():
    return "npm_" + chars(36)


def pypi_token():
    return "pypi-AgEIcHlwaS5vcmc" + chars(rnd.randint(140, 170), URLSAFE)


def hf_token():
    return "hf_" + chars(34, UPPER + LOWER)


def jwt(claims=None, sig_bytes=32, alg="HS256"):
    header = {"alg": alg, "typ": "JWT"}
    if claims is None:
        claims = {"sub": digits(8), "name": "Dana Whitfield", "iat": 1718000000 + rnd.randint(0, 10**6)}
    enc = lambda o: b64url(json.dumps(o, separators=(",", ":")).encode())
    return enc(header) + "." + enc(claims) + "." + b64url(rbytes(sig_bytes))


def opaque_token(n=40):
    return chars(n, ALNUM + "-._")


def basic_credentials(user, password):
    return b64(("%s:%s" % (user, password)).encode())


PW_ALPHABET = ALNUM + "!#%^*+=?_-"


def random_password(n=None):
    return chars(n or rnd.randint(14, 28), PW_ALPHABET)


HUMAN_PASSWORDS = [
    "Winter2024!Deploy", "tr0ub4dor&3-horse", "Sh0pfr0nt#Prod2024", "correct-horse-battery-staple",
    "M4ria!Kafka_77", "qZ8#rT2$wL9m", "Blue-Elephant-42", "n0t-s0-s3cret!",
]


def password():
    return rnd.choice(HUMAN_PASSWORDS) if rnd.random() < 0.35 else random_password()


def pem(label, der, width=64, headers=""):
    body = b64(der)
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return "-----BEGIN %s-----\n%s%s\n-----END %s-----" % (label, headers, "\n".join(lines), label)


def rsa_pkcs1_der():
    return bytes.fromhex("308204a40201000282010100") + rbytes(1180)


def pkcs8_rsa_der():
    return bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8308204a40201000282010100") + rbytes(1180)


def ec_sec1_der():
    return (bytes.fromhex("30770201010420") + rbytes(32) +
            bytes.fromhex("a00a06082a8648ce3d030107a14403420004") + rbytes(64))


def pkcs8_ec_der():
    return (bytes.fromhex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420") +
            rbytes(32) + bytes.fromhex("a144034200") + b"\x04" + rbytes(64))


def pkcs8_ed25519_der():
    return bytes.fromhex("302e020100300506032b657004220420") + rbytes(32)


def encrypted_pkcs8_der():
    # PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) around a 2048-bit RSA key, as `openssl genpkey -aes256` writes.
    return (bytes.fromhex("3082051c304e06092a864886f70d01050d3041302906092a864886f70d01050c301c0408") +
            rbytes(8) + bytes.fromhex("02020800300c06082a864886f70d02090500301406082a864886f70d03070408") + rbytes(8) +
            bytes.fromhex("048204c8") + rbytes(1224))


def dsa_der():
    return bytes.fromhex("308201bb02010002818100") + rbytes(430)


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def openssh_ed25519():
    pub = sshstr(b"ssh-ed25519") + sshstr(rbytes(32))
    check = rbytes(4)
    priv = (check + check + sshstr(b"ssh-ed25519") + sshstr(pub[19:]) + sshstr(rbytes(64)) +
            sshstr(b"dana@laptop") + bytes(range(1, 4)))
    blob = b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"") + struct.pack(">I", 1)
    blob += sshstr(pub) + sshstr(priv)
    return pem("OPENSSH PRIVATE KEY", blob, width=70)


def openssh_rsa():
    pub = sshstr(b"ssh-rsa") + sshstr(b"\x01\x00\x01") + sshstr(b"\x00" + rbytes(384))
    blob = (b"openssh-key-v1\x00" + sshstr(b"aes256-ctr") + sshstr(b"bcrypt") +
            sshstr(sshstr(rbytes(16)) + struct.pack(">I", 16)) + struct.pack(">I", 1) + sshstr(pub) +
            sshstr(rbytes(1856)))
    return pem("OPENSSH PRIVATE KEY", blob, width=70)


def crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def pgp_private_block():
    data = bytes.fromhex("9503c604") + struct.pack(">I", 1718000000) + b"\x01\x0c\x00" + rbytes(960)
    body = b64(data)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    checksum = "=" + b64(struct.pack(">I", crc24(data))[1:])
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + "\n".join(lines) + "\n" + checksum +
            "\n-----END PGP PRIVATE KEY BLOCK-----")


def internal_ip(kind=None):
    kind = kind or rnd.choice("abc")
    if kind == "a":
        return "10.%d.%d.%d" % (rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(2, 254))
    if kind == "b":
        return "172.%d.%d.%d" % (rnd.randint(16, 31), rnd.randint(0, 255), rnd.randint(2, 254))
    return "192.168.%d.%d" % (rnd.randint(0, 255), rnd.randint(2, 254))


# --- positives ---------------------------------------------------------------------------------

POS = []


def P(rule, text, secret):
    """A positive: `text` holds the marker @S@ where the secret goes."""
    assert "@S@" in text, text
    POS.append({"rule": rule, "text": text.replace("@S@", secret), "secret": secret})


def many(rule, gen, templates):
    for t in templates:
        P(rule, t, gen())


many("anthropic-api-key", anthropic_key, [
    "ANTHROPIC_API_KEY=@S@\n",
    'export ANTHROPIC_API_KEY="@S@"',
    'import anthropic\n\nclient = anthropic.Anthropic(api_key="@S@")\nmessage = client.messages.create(\n    model="claude-sonnet-4-5",\n    max_tokens=1024,\n    messages=[{"role": "user", "content": "Hello, Claude"}],\n)',
    'curl https://api.anthropic.com/v1/messages \\\n  -H "x-api-key: @S@" \\\n  -H "anthropic-version: 2023-06-01" \\\n  -H "content-type: application/json" \\\n  -d \'{"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello"}]}\'',
    "I keep getting 401 from the API with this key: @S@ — is it revoked? I created it yesterday in the console.",
    '{"mcpServers": {"research": {"command": "npx", "args": ["-y", "@acme/research-mcp"], "env": {"ANTHROPIC_API_KEY": "@S@"}}}}',
    "$ echo $ANTHROPIC_API_KEY\n@S@\n$ ",
    "const anthropic = new Anthropic({ apiKey: '@S@' });",
])
many("anthropic-api-key", anthropic_admin_key, [
    "ANTHROPIC_ADMIN_KEY=@S@  # org admin key, usage report only",
    'curl "https://api.anthropic.com/v1/organizations/users?limit=20" \\\n  --header "anthropic-version: 2023-06-01" \\\n  --header "x-api-key: @S@"',
])

many("openai-api-key", openai_legacy, [
    "OPENAI_API_KEY=@S@",
    'import openai\nopenai.api_key = "@S@"\nresp = openai.Completion.create(engine="text-davinci-003", prompt="Say hi")',
    '{"openai_api_key": "@S@", "temperature": 0.2, "model": "gpt-3.5-turbo"}',
    "C:\\Users\\dana> set OPENAI_API_KEY=@S@",
])
many("openai-api-key", openai_project, [
    'from openai import OpenAI\n\nclient = OpenAI(api_key="@S@")',
    "[openai]\napi_key = \"@S@\"\nmodel = \"gpt-4o-mini\"",
    "here's my key @S@ can you check why the script says quota exceeded?",
    "docker run --rm -e OPENAI_API_KEY=@S@ -p 3000:3000 ghcr.io/acme/chat-ui:latest",
    'const openai = new OpenAI({\n  apiKey: "@S@",\n  organization: "org-Qm3pX8aLkV2wN9sT",\n});',
])
many("openai-api-key", lambda: openai_project("svcacct"), [
    "openai:\n  api_key: @S@\n  model: gpt-4o\n  timeout: 30",
    '$env:OPENAI_API_KEY = "@S@"',
    "OPENAI_API_KEY='@S@' python3 evals/run.py --suite smoke",
])

many("google-api-key", google_key, [
    "https://maps.googleapis.com/maps/api/geocode/json?address=1600+Amphitheatre+Parkway&key=@S@",
    "GOOGLE_API_KEY=@S@",
    'import google.generativeai as genai\ngenai.configure(api_key="@S@")\nmodel = genai.GenerativeModel("gemini-1.5-flash")',
    'const firebaseConfig = {\n  apiKey: "@S@",\n  authDomain: "shopfront-7c1e2.firebaseapp.com",\n  projectId: "shopfront-7c1e2",\n  storageBucket: "shopfront-7c1e2.appspot.com",\n  messagingSenderId: "418203339761",\n  appId: "1:418203339761:web:9a3f2c1d0b4e5f67"\n};',
    '<meta-data\n    android:name="com.google.android.geo.API_KEY"\n    android:value="@S@" />',
    "curl \"https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent?key=@S@\" -H 'Content-Type: application/json' -X POST -d '{\"contents\":[{\"parts\":[{\"text\":\"Explain recursion\"}]}]}'",
])

many("aws-access-key-id", aws_key_id, [
    '{\n    "AccessKeyMetadata": [\n        {\n            "UserName": "ci-deployer",\n            "AccessKeyId": "@S@",\n            "Status": "Active",\n            "CreateDate": "2024-03-18T09:12:44+00:00"\n        }\n    ]\n}',
    "AWS_ACCESS_KEY_ID=@S@",
    's3 = boto3.client(\n    "s3",\n    aws_access_key_id="@S@",\n    aws_secret_access_key=os.environ["AWS_SECRET"],\n)',
    'provider "aws" {\n  region     = "us-east-1"\n  access_key = "@S@"\n  secret_key = var.aws_secret_key\n}',
    "env:\n  AWS_REGION: eu-west-1\n  AWS_ACCESS_KEY_ID: @S@\n  AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
    "https://shopfront-assets.s3.amazonaws.com/reports/q2.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=@S@%2F20240611%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240611T101500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + chars(64, HEX),
    "[default]\naws_access_key_id = @S@\nregion = eu-central-1\noutput = json",
])
many("aws-access-key-id", lambda: aws_key_id("ASIA"), [
    "$ aws sts assume-role --role-arn arn:aws:iam::482913307215:role/deploy --role-session-name ci --query Credentials.AccessKeyId --output text\n@S@",
    "export AWS_ACCESS_KEY_ID=@S@",
    "DEBUG:botocore.auth:Calculating signature using v4 auth.\nAuthorization: AWS4-HMAC-SHA256 Credential=@S@/20240611/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + chars(64, HEX),
])

many("aws-secret-access-key", aws_secret, [
    "[profile prod]\naws_secret_access_key = @S@\nregion = us-west-2",
    "export AWS_SECRET_ACCESS_KEY=@S@",
    'AWS_SECRET_ACCESS_KEY="@S@"',
    '    "Credentials": {\n        "SecretAccessKey": "@S@",\n        "Expiration": "2024-06-11T11:15:02+00:00"\n    },',
    "services:\n  uploader:\n    image: acme/uploader:2.3\n    environment:\n      AWS_REGION: eu-west-1\n      AWS_SECRET_ACCESS_KEY: @S@",
    'session = boto3.Session(\n    aws_secret_access_key="@S@",\n    region_name="eu-central-1",\n)',
    "$ aws configure set aws_secret_access_key @S@ --profile staging",
    "const s3 = new S3Client({\n  region: 'us-east-1',\n  credentials: { accessKeyId: process.env.AWS_KEY_ID, secretAccessKey: '@S@' },\n});",
])

many("azure-storage-key", azure_storage_key, [
    '{\n  "IsEncrypted": false,\n  "Values": {\n    "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=shopfrontprod;AccountKey=@S@;EndpointSuffix=core.windows.net",\n    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated"\n  }\n}',
    'AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=@S@;EndpointSuffix=core.windows.net"',
    'blob_service = BlobServiceClient.from_connection_string(\n    "DefaultEndpointsProtocol=https;AccountName=mlartifacts;AccountKey=@S@;EndpointSuffix=core.windows.net"\n)',
    '$ctx = New-AzStorageContext -ConnectionString "DefaultEndpointsProtocol=https;AccountName=backups01;AccountKey=@S@"',
    '$ az storage account keys list -g rg-prod -n shopfrontprod\n[\n  {\n    "creationTime": "2024-01-09T14:02:11.514318+00:00",\n    "keyName": "key1",\n    "permissions": "FULL",\n    "value": "@S@"\n  }\n]',
])

many("azure-client-secret", azure_client_secret, [
    "AZURE_CLIENT_SECRET=@S@",
    "az login --service-principal -u %s -p @S@ --tenant %s" % (uid(), uid()),
    'tenant_id     = "%s"\nclient_id     = "%s"\nclient_secret = "@S@"' % (uid(), uid()),
    '"AzureAd": {\n    "Instance": "https://login.microsoftonline.com/",\n    "TenantId": "%s",\n    "ClientId": "%s",\n    "ClientSecret": "@S@"\n  }' % (uid(), uid()),
    'app = msal.ConfidentialClientApplication(\n    CLIENT_ID, authority=AUTHORITY,\n    client_credential="@S@",\n)',
])

many("github-token", github_classic, [
    "git clone https://@S@@github.com/acme/infra.git",
    "GITHUB_TOKEN=@S@",
    "gh auth login --with-token <<< @S@",
    "@acme:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken=@S@",
    "Can you use this token to open the PR for me? @S@ (it has repo scope)",
])
many("github-token", lambda: github_classic("gho"), [
    "github.com:\n    user: octo-dev\n    oauth_token: @S@\n    git_protocol: https",
    '{"access_token":"@S@","token_type":"bearer","scope":"repo,gist"}',
])
many("github-token", lambda: github_classic("ghu"), [
    '{"token": "@S@", "expires_at": "2024-06-11T18:30:00Z"}',
])
many("github-token", lambda: github_classic("ghs"), [
    "  env:\n    GITHUB_TOKEN: @S@\n  run: gh release create v1.4.0 --generate-notes",
    "git remote set-url origin https://x-access-token:@S@@github.com/acme/app.git",
])
many("github-token", lambda: github_classic("ghr"), [
    '{"access_token": "ghu_' + "*" * 36 + '", "refresh_token": "@S@", "refresh_token_expires_in": 15811200}',
])
many("github-token", github_fine_grained, [
    "GH_TOKEN=@S@",
    'echo "@S@" | docker login ghcr.io -u octo-dev --password-stdin',
    "curl -L -H \"Accept: application/vnd.github+json\" -H \"Authorization: token @S@\" https://api.github.com/repos/acme/app/actions/runs",
])

many("gitlab-token", gitlab_token, [
    "git clone https://oauth2:@S@@gitlab.com/platform/deploy-tools.git",
    'curl --header "PRIVATE-TOKEN: @S@" "https://gitlab.com/api/v4/projects?membership=true"',
    "GITLAB_TOKEN=@S@",
    "[global]\ndefault = gitlab\n\n[gitlab]\nurl = https://gitlab.com\nprivate_token = @S@\napi_version = 4",
    'provider "gitlab" {\n  token = "@S@"\n}',
    "variables:\n  GL_TOKEN: @S@\n  DOCKER_DRIVER: overlay2",
])

many("slack-token", slack_bot, [
    "SLACK_BOT_TOKEN=@S@",
    'client = WebClient(token="@S@")\nclient.chat_postMessage(channel="#deploys", text="v1.4.0 is out")',
    'curl -X POST -H "Authorization: Bearer @S@" -H "Content-type: application/json" --data \'{"channel":"C061EG9SL","text":"hi"}\' https://slack.com/api/chat.postMessage',
])
many("slack-token", slack_user, [
    "slack:\n  user_token: @S@\n  default_channel: '#eng'",
    "const web = new WebClient('@S@');",
])
P("slack-token", '{"ok": true, "access_token": "@S@", "scope": "identify,commands", "team_id": "T04AB12CD"}', slack_other("xoxa"))
P("slack-token", "SLACK_REFRESH_TOKEN=@S@", slack_other("xoxr"))
P("slack-token", "legacy token for the old bot, still in use: @S@", slack_other("xoxs"))

many("slack-webhook", slack_webhook, [
    "SLACK_WEBHOOK_URL=@S@",
    "curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"Deploy finished\"}' @S@",
    "notifications:\n  slack:\n    webhook: \"@S@\"\n    channel: \"#alerts\"",
    'requests.post("@S@", json={"text": f"Build {build_id} failed"})',
    '{"name": "deploy-bot", "webhook_url": "@S@", "enabled": true}',
])

many("stripe-key", stripe_key, [
    "STRIPE_SECRET_KEY=@S@",
    "stripe.api_key = \"@S@\"",
    "const stripe = require('stripe')('@S@');",
    "curl https://api.stripe.com/v1/charges -u @S@: -d amount=2000 -d currency=usd",
])
many("stripe-key", lambda: stripe_key("rk_live_"), [
    "STRIPE_RESTRICTED_KEY=@S@",
    "stripe:\n  restricted_key: @S@",
])
many("stripe-key", lambda: stripe_key("sk_test_", long=False), [
    "Stripe.api_key = '@S@'",
    "export STRIPE_API_KEY=@S@",
])

many("twilio-api-key", twilio_key, [
    "TWILIO_API_KEY=@S@",
    "client = Client(\"@S@\", api_secret, account_sid=\"AC\" + sid_suffix)",
    "twilio:\n  api_key: @S@\n  from_number: \"+15005550006\"",
    "const client = twilio('@S@', process.env.TWILIO_API_SECRET, { accountSid });",
    "Twilio API key created: @S@ (friendly name: ci-notifier)",
])

many("sendgrid-api-key", sendgrid_key, [
    "SENDGRID_API_KEY=@S@",
    "sg = SendGridAPIClient('@S@')",
    "sgMail.setApiKey(\"@S@\");",
    'curl --request POST --url https://api.sendgrid.com/v3/mail/send --header "Authorization: Bearer @S@" --header \'Content-Type: application/json\' --data @mail.json',
    "mail:\n  provider: sendgrid\n  api_key: \"@S@\"",
])

many("npm-token", npm_token, [
    "//registry.npmjs.org/:_authToken=@S@",
    "NPM_TOKEN=@S@",
    "$ npm token create --read-only\n┌────────────────┬──────────────────────────────────────────┐\n│ token          │ @S@ │\n│ readonly       │ true                                     │\n└────────────────┴──────────────────────────────────────────┘",
    "- run: npm publish --access public\n  env:\n    NODE_AUTH_TOKEN: @S@",
    'echo "//registry.npmjs.org/:_authToken=@S@" > ~/.npmrc',
    "the publish fails with E401 even though I set NPM_TOKEN to @S@, what's wrong?",
])

many("pypi-token", pypi_token, [
    "[pypi]\n  username = __token__\n  password = @S@",
    "TWINE_PASSWORD=@S@",
    "python -m twine upload -u __token__ -p @S@ dist/*",
    "- name: Publish\n  env:\n    POETRY_PYPI_TOKEN_PYPI: @S@\n  run: poetry publish --build",
    "uv publish --token @S@",
])

many("huggingface-token", hf_token, [
    "HF_TOKEN=@S@",
    "from huggingface_hub import login\nlogin(token=\"@S@\")",
    "huggingface-cli login --token @S@",
    'curl https://api-inference.huggingface.co/models/gpt2 -H "Authorization: Bearer @S@" -d \'{"inputs": "Hello"}\'',
    "model = AutoModel.from_pretrained(\"acme/private-model\", token=\"@S@\")",
    "$ cat ~/.cache/huggingface/token\n@S@",
])

# private keys: the whole block is the secret.
PEMS = [
    ("rsa", lambda: pem("RSA PRIVATE KEY", rsa_pkcs1_der())),
    ("pkcs8", lambda: pem("PRIVATE KEY", pkcs8_rsa_der())),
    ("ec", lambda: pem("EC PRIVATE KEY", ec_sec1_der())),
    ("pkcs8-ec", lambda: pem("PRIVATE KEY", pkcs8_ec_der())),
    ("ed25519", lambda: pem("PRIVATE KEY", pkcs8_ed25519_der())),
    ("openssh", openssh_ed25519),
    ("openssh-rsa", openssh_rsa),
    ("encrypted", lambda: pem("ENCRYPTED PRIVATE KEY", encrypted_pkcs8_der())),
    ("rsa-proc", lambda: pem("RSA PRIVATE KEY", rsa_pkcs1_der(), headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,%s\n\n" % chars(32, "0123456789ABCDEF"))),
    ("dsa", lambda: pem("DSA PRIVATE KEY", dsa_der())),
    ("pgp", pgp_private_block),
]
pk = dict(PEMS)
P("private-key", "$ cat ~/.ssh/id_ed25519\n@S@\n$ ", pk["openssh"]())
P("private-key", "@S@\n", pk["rsa"]())
P("private-key", "server.key:\n@S@", pk["pkcs8"]())
P("private-key", "$ openssl ecparam -name prime256v1 -genkey -noout\n@S@", pk["ec"]())
P("private-key", 'SIGNING_KEY = """@S@\n"""', pk["pkcs8-ec"]())
P("private-key", "Here's the key the vendor sent, why does `openssl pkey -in key.pem` reject it?\n\n@S@", pk["ed25519"]())
P("private-key", "$ cat deploy_key\n@S@", pk["openssh-rsa"]())
P("private-key", "@S@", pk["encrypted"]())
P("private-key", "# legacy key, passphrase in 1Password\n@S@", pk["rsa-proc"]())
P("private-key", "@S@\n", pk["dsa"]())
P("private-key", "$ gpg --export-secret-keys --armor dana@shopfront.io\n@S@", pk["pgp"]())
block = pk["pkcs8"]()
P("private-key", ('{\n  "type": "service_account",\n  "project_id": "shopfront-prod",\n  "private_key_id": "%s",\n'
                  '  "private_key": "@S@\\n",\n  "client_email": "ci-deployer@shopfront-prod.iam.gserviceaccount.com",\n'
                  '  "client_id": "%s"\n}') % (chars(40, HEX), digits(21)), block.replace("\n", "\\n"))
block = pk["rsa"]()
P("private-key", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls-cert\nstringData:\n  tls.key: |\n    @S@\n",
  block.replace("\n", "\n    "))
block = pk["ec"]()
P("private-key", 'resource "tls_locally_signed_cert" "svc" {\n  ca_private_key_pem = <<EOT\n@S@\nEOT\n}', block)

many("jwt", jwt, [
    "Cookie: session=@S@; theme=dark",
    '{"id_token":"@S@","expires_in":3600,"token_type":"Bearer","scope":"openid email"}',
    "Can you decode this JWT and tell me why it's rejected? @S@",
    "JWT_TOKEN=@S@",
    "https://app.shopfront.io/auth/callback?token=@S@&next=%2Fdashboard",
    "localStorage.setItem('auth', '@S@');",
])
P("jwt", 'id_token: "@S@"', jwt({"iss": "https://accounts.google.com", "aud": digits(12) + "-abc.apps.googleusercontent.com",
                                 "sub": digits(21), "email": "dana@shopfront.io", "exp": 1718003600}, sig_bytes=256, alg="RS256"))
P("jwt", "> GET /api/me HTTP/1.1\n> X-Auth-Token: @S@\n> Accept: */*", jwt())
P("jwt", '{"kind": "identitytoolkit#VerifyPasswordResponse", "localId": "%s", "idToken": "@S@", "registered": true}' % chars(28),
  jwt({"iss": "https://securetoken.google.com/shopfront-7c1e2", "user_id": chars(28), "exp": 1718003600}, sig_bytes=256, alg="RS256"))
P("jwt", "supabase:\n  anon_key: @S@", jwt({"iss": "supabase", "ref": chars(20, LOWER), "role": "service_role", "iat": 1718000000, "exp": 2033576000}))

many("authorization-header", opaque_token, [
    'curl -H "Authorization: Bearer @S@" https://api.shopfront.io/v2/orders',
    "GET /api/v2/orders?page=2 HTTP/1.1\nHost: api.shopfront.io\nAuthorization: Bearer @S@\nAccept: application/json\n",
    'const res = await fetch(url, {\n  headers: { "Authorization": "Bearer @S@", "Content-Type": "application/json" },\n});',
    "headers = {'authorization': 'Bearer @S@'}\nr = requests.get(f'{BASE}/invoices', headers=headers, timeout=10)",
    'wget --header="Authorization: Bearer @S@" https://downloads.acme-robotics.io/firmware/v3.2.bin',
    "> POST /graphql HTTP/2\n> Host: api.acme-robotics.io\n> user-agent: curl/8.5.0\n> authorization: Bearer @S@\n> content-type: application/json",
    "http GET https://api.shopfront.io/v1/me Authorization:'Bearer @S@'",
])
for user, pw, tmpl in [
    ("admin", random_password(), 'curl -H "Authorization: Basic @S@" https://jenkins.acme-robotics.io/api/json'),
    ("svc-reporting", random_password(), "r = requests.get(url, headers={\"Authorization\": \"Basic @S@\"})"),
    ("deploy", random_password(), 'proxy_set_header Authorization "Basic @S@";'),
    ("grafana", random_password(), "GET /api/dashboards/home HTTP/1.1\nHost: grafana.shopfront.io\nAuthorization: Basic @S@\n"),
]:
    P("authorization-header", tmpl, basic_credentials(user, pw))
P("authorization-header", '{"header": [{"key": "Authorization", "value": "Bearer @S@", "type": "text"}]}', opaque_token(48))

URLCRED = [
    "https://deploy:@S@@git.acme-robotics.io/platform/infra.git",
    "DATABASE_URL=postgres://orders:@S@@db.shopfront.io:5432/orders",
    "REDIS_URL=redis://default:@S@@redis-14527.c8.us-east-1-3.ec2.cloud.redislabs.com:14527",
    "amqp://billing:@S@@rabbit.shopfront.io:5672/%2F",
    'client = MongoClient("mongodb+srv://analytics:@S@@cluster0.x7k2p.mongodb.net/?retryWrites=true&w=majority")',
    "spring.datasource.url=jdbc:mysql://shop:@S@@mysql.shopfront.io:3306/shop",
    "ftp://backup:@S@@ftp.acme-robotics.io/nightly/",
    "pip install --extra-index-url https://ci-reader:@S@@pypi.acme-robotics.io/simple/ acme-sdk",
    "SMTP_URL=smtp://postmaster%40shopfront.io:@S@@smtp.mailgun.org:587",
    "  url: mysql://root:@S@@db-replica.shopfront.io/analytics",
    "$ git push https://dana:@S@@bitbucket.org/acme/mobile.git main",
    'engine = create_engine("postgresql+psycopg2://etl:@S@@warehouse.shopfront.io:5432/dw")',
]
for t in URLCRED:
    P("url-credentials", t, chars(rnd.randint(14, 24), ALNUM + "_-") if rnd.random() < 0.7 else rnd.choice(HUMAN_PASSWORDS).replace("#", "%23").replace("&", "%26").replace("!", "%21"))

for t in [
    '"ConnectionStrings": {\n    "Default": "Server=tcp:shopfront-sql.database.windows.net,1433;Initial Catalog=orders;Persist Security Info=False;User ID=appuser;Password=@S@;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;"\n  }',
    '<add name="Billing" connectionString="Data Source=sql01.shopfront.io;Initial Catalog=Billing;User Id=billing_svc;Password=@S@;" providerName="System.Data.SqlClient" />',
    "Driver={ODBC Driver 18 for SQL Server};Server=tcp:erp.shopfront.io,1433;Database=erp;Uid=sa;Pwd=@S@;Encrypt=yes;",
    '"Host=pg.shopfront.io;Port=5432;Database=app;Username=app;Password=@S@"',
    "Server=mysql.shopfront.io;Port=3306;Database=shop;Uid=shop;Pwd=@S@;",
    'ORACLE_CONN="Data Source=(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=ora.shopfront.io)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=ORCL)));User Id=scott;Password=@S@;"',
    "jdbc:sqlserver://sql.shopfront.io:1433;databaseName=erp;user=erp_app;password=@S@;encrypt=true;",
    'conn = pyodbc.connect("DRIVER={ODBC Driver 17 for SQL Server};SERVER=sql.shopfront.io;DATABASE=hr;UID=hr_ro;PWD=@S@")',
]:
    P("db-connection-string", t, password().replace(";", "").replace("&", "-"))

for t in [
    "DB_PASSWORD=@S@",
    "SECRET_KEY=@S@",
    'password = "@S@"',
    'conn = psycopg2.connect(host="db.shopfront.io", user="app", password="@S@", dbname="orders")',
    "spring:\n  datasource:\n    url: jdbc:postgresql://db.shopfront.io:5432/orders\n    username: orders\n    password: @S@",
    "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: @S@",
    '{"username": "admin", "password": "@S@"}',
    "spring.datasource.password=@S@",
    "ldap:\n  bind_dn: cn=svc-ldap,ou=services,dc=shopfront,dc=io\n  passwd: @S@",
    "oauth:\n  client_id: shopfront-web\n  client_secret: @S@\n  redirect_uri: https://app.shopfront.io/callback",
    'api_key = "@S@"',
    "WEBHOOK_TOKEN=@S@",
    "export API_KEY=@S@",
    "app.use(session({\n  secret: '@S@',\n  resave: false,\n  saveUninitialized: true,\n}));",
    '[database]\nhost = "db.shopfront.io"\nuser = "svc"\npassword = "@S@"',
    "[client]\nuser = root\npassword = @S@",
    "mysql -h db.shopfront.io -u root --password=@S@ orders < dump.sql",
    'config.secret_key_base = "@S@"',
    'const apiSecret = "@S@"',
    "define( 'DB_PASSWORD', '@S@' );",
    'redis:\n  auth:\n    enabled: true\n    password: "@S@"',
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-db\ntype: Opaque\nstringData:\n  password: @S@",
    "jwt_secret: @S@",
    'String password = "@S@";',
    'var apiKey = "@S@";',
    "ADMIN_PASSWORD='@S@'",
]:
    P("password-assignment", t, password())
P("password-assignment",
  '{"installed":{"client_id":"%s-%s.apps.googleusercontent.com","project_id":"shopfront-cli","auth_uri":"https://accounts.google.com/o/oauth2/auth","client_secret":"@S@","redirect_uris":["http://localhost"]}}' % (digits(12), chars(32, LOWER + DIGITS)),
  "GOCSPX-" + chars(28, URLSAFE))

INTERNAL = [
    ("ssh deploy@@S@", "bastion.prod.internal"),
    ("curl -s 'http://@S@:9090/api/v1/query?query=up'", "metrics.svc.internal"),
    ("GET /d/abc123/service-overview HTTP/1.1\nHost: @S@\n", "grafana.ops.corp"),
    ("See the runbook at https://@S@/display/ENG/Runbooks before paging.", "wiki.eng.intranet"),
    ("$ ping -c 3 @S@", "nas.lan"),
    ("DeviceURI ipp://@S@:631/ipp/print", "printer-3f.local"),
    ("pipeline {\n  agent { label '@S@' }\n  stages { stage('Build') { steps { sh 'make' } } }\n}", "build01.corp"),
    ("database:\n  host: @S@\n  port: 5432\n  name: orders", "pg-primary.db.corp"),
    ("git clone git@@S@:platform/deploy.git", "gitlab.eng.corp"),
    ("DOCKER_REGISTRY=@S@:5000", "registry.k8s.internal"),
    ("kubectl --server=https://@S@:6443 get nodes", "k8s-api.cluster.internal"),
    ("LDAP_URL=ldap://@S@:389", "dc01.ad.acme.corp"),
    ("sonar.host.url=http://@S@:9000", "sonarqube.qa.intranet"),
    ("Bonjour name: @S@", "alices-mbp.local"),
]
for t, host in INTERNAL:
    P("internal-host", t, host)

for t in [
    "ssh ubuntu@@S@",
    "$ ip -4 addr show eth0 | grep inet\n    inet @S@/16 scope global eth0",
    "HTTP_PROXY=http://@S@:3128",
    "NAME                   READY   STATUS    RESTARTS   AGE    IP            NODE\napi-7d9f8c6b5-x2kqp    1/1     Running   0          3d4h   @S@   node-2",
    "redis-cli -h @S@ -p 6379 ping",
    "Nmap scan report for @S@\nHost is up (0.0031s latency).\nPORT   STATE SERVICE\n22/tcp open  ssh",
    "upstream api {\n    server @S@:8080;\n}",
    '            "IPAddress": "@S@",',
    'ALLOWED_HOSTS = ["shopfront.io", "@S@"]',
    "psql -h @S@ -U app orders",
    'private_ip = "@S@"',
    "[mysqld]\nbind-address = @S@",
    "ssh: connect to host @S@ port 22: Connection refused",
]:
    P("private-ip", t, internal_ip())

# --- negatives ---------------------------------------------------------------------------------

NEG = []


def N(why, text):
    NEG.append({"text": text, "why": why})


def sha1hex():
    return chars(40, HEX)


def sha512_integrity():
    return "sha512-" + b64(rbytes(64))


def png_data():
    return b64(bytes.fromhex("89504e470d0a1a0a0000000d49484452") + rbytes(rnd.randint(90, 200)))


for t in ['"sessionId": "@U@"', "request_id=@U@ status=200 duration_ms=41",
          '"tenantId": "@U@",', '{"id": "@U@", "name": "orders-api", "replicas": 3}',
          "Created volume @U@", "X-Request-Id: @U@", "claude --resume @U@",
          "INSERT INTO users (id, email) VALUES ('@U@', 'dana@shopfront.io');"]:
    N("uuid", t.replace("@U@", uid()))
N("uuid", "AZURE_CLIENT_ID=%s\nAZURE_TENANT_ID=%s" % (uid(), uid()))

for t in ["commit @H@\nAuthor: Dana Whitfield <dana@shopfront.io>\nDate:   Tue Jun 11 10:02:11 2024 +0200\n\n    Fix flaky retry test",
          "git checkout @H@", '"resolved": "git+ssh://git@github.com/acme/ui-kit.git#@H@"',
          "HEAD is now at @h@ Fix pagination off-by-one", '"sha": "@H@",\n"node_id": "C_kwDOAbc123"',
          "    - uses: actions/checkout@@H@ # v4.1.1", "Merge: @h@ @h2@",
          "* @h@ (HEAD -> main, origin/main) Add redaction corpus", "fatal: reference is not a tree: @H@"]:
    N("git-sha", t.replace("@H@", sha1hex()).replace("@h@", chars(7, HEX)).replace("@h2@", chars(7, HEX)))

for t in ['    "node_modules/lodash": {\n      "version": "4.17.21",\n      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",\n      "integrity": "@I@"\n    },',
          'react@^18.2.0:\n  version "18.3.1"\n  resolved "https://registry.yarnpkg.com/react/-/react-18.3.1.tgz#' + sha1hex() + '"\n  integrity @I@',
          '"integrity": "@I@",',
          'yallist@^4.0.0:\n  version "4.0.0"\n  integrity sha1-' + b64(rbytes(20)),
          '<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js" integrity="sha384-' + b64(rbytes(48)) + '" crossorigin="anonymous"></script>',
          '[[package]]\nname = "serde"\nversion = "1.0.203"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "' + chars(64, HEX) + '"',
          "golang.org/x/net v0.26.0 h1:" + b64(rbytes(32)) + "\ngolang.org/x/net v0.26.0/go.mod h1:" + b64(rbytes(32)),
          'files = [\n    {file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:' + chars(64, HEX) + '"},\n]',
          "requests==2.32.3 \\\n    --hash=sha256:" + chars(64, HEX),
          "lockfileVersion: '9.0'\n\npackages:\n  nanoid@3.3.7:\n    resolution: {integrity: @I@}"]:
    N("lockfile-hash", t.replace("@I@", sha512_integrity()))

for t in ['<img src="data:image/png;base64,@P@" alt="logo">',
          ".icon { background: url(data:image/png;base64,@P@) no-repeat; }",
          '{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "@P@"}}',
          "![screenshot](data:image/png;base64,@P@)"]:
    N("base64-image", t.replace("@P@", png_data()))
N("base64-image", "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQEASABIAAD/" + b64(rbytes(150)))
N("base64-image", "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
N("base64-image", "src: url(data:font/woff2;base64,d09GMgABAAAAA" + b64(rbytes(120)) + ") format('woff2');")

N("doc-example", "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
N("doc-example", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nexport AWS_DEFAULT_REGION=us-west-2")
N("doc-example", "aws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
N("doc-example", '{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}')
N("doc-example", "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request")

for t in ["password = getPassword()", 'token = request.headers.get("x")', 'api_key = os.getenv("API_KEY")',
          'secret = vault.read("secret/data/app")["data"]["secret"]', "const token = await getAccessToken();",
          "client_secret = load_secret(settings.CLIENT_SECRET_PATH)", "password: await promptPassword('DB password: '),",
          "token = jwt.encode(payload, key, algorithm=\"HS256\")", "passwd = getpass.getpass()",
          "auth_token = self._refresh_token(session)", "api_key = keyring.get_password('shopfront', 'api')",
          "secret = secrets.token_urlsafe(32)", "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())"]:
    N("function-call", t)

for t in ["secret: ${DB_SECRET}", 'password: "{{ .Values.db.password }}"', "PASSWORD=$DB_PASSWORD",
          "token: ${{ secrets.GITHUB_TOKEN }}", 'api_key = os.environ["OPENAI_API_KEY"]',
          "password: process.env.DB_PASS,", '"password": "%DB_PASSWORD%"',
          'curl -H "Authorization: Bearer $TOKEN" https://api.github.com/user',
          "headers: { Authorization: `Bearer ${process.env.API_TOKEN}` },",
          "DATABASE_URL=postgres://app:${POSTGRES_PASSWORD}@db:5432/app",
          "Server=sql.shopfront.io;Database=erp;User Id=erp_app;Password=$(SQL_PASSWORD);",
          "client_secret: !Ref ClientSecretParam", "export GITHUB_TOKEN=$(gh auth token)",
          'ANTHROPIC_API_KEY="$(security find-generic-password -s anthropic -w)"']:
    N("env-reference", t)
N("encrypted", "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  " + "\n  ".join(chars(80, "0123456789abcdef") for _ in range(4)))

for t in ["PASSWORD=<your-password>", 'api_key: "YOUR_API_KEY"', "OPENAI_API_KEY=sk-...",
          'token = "xxx"', "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "password: changeme",
          "SECRET_KEY=replace-me-in-production", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
          'api_key="<API_KEY>"', "Authorization: Bearer <token>", "SLACK_BOT_TOKEN=xoxb-your-bot-token",
          "ANTHROPIC_API_KEY=your-api-key-here", "password: TODO", "STRIPE_SECRET_KEY=sk_live_...",
          'curl -H "Authorization: Bearer YOUR_TOKEN_HERE" https://api.shopfront.io/v2/orders',
          "HF_TOKEN=hf_...", "client_secret: <client-secret>", "token=REPLACE_ME",
          "DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE", "password = \"\"",
          "password: null", "DB_PASSWORD=", "api_key: ''"]:
    N("placeholder", t)

for t in ["password: ********", "OPENAI_API_KEY=sk-...Xy9z (masked)",
          "      Name                    Value             Type    Location\n      ----                    -----             ----    --------\n   profile                <not set>             None    None\naccess_key     ****************WXYZ shared-credentials-file\nsecret_key     ****************k9Qa shared-credentials-file",
          "token: [REDACTED]", "Server=sql.shopfront.io;Database=erp;User Id=erp_app;Password=***;",
          "GITHUB_TOKEN=***", "Authorization: Bearer ••••••••••••", "api_key: sk-proj-****************************abcd"]:
    N("masked", t)

for t in ["pip install scikit-learn  # aka sk-learn", "Fixes task-sk-123: wrong totals on invoices",
          "Accept-Language: sk-SK,sk;q=0.9,en;q=0.8", "Anthropic keys start with `sk-ant-` and OpenAI keys with `sk-`.",
          "git checkout -b desk-booking-sk-442", "const riskScore = computeRisk(task, { model: 'sk-lite' });",
          "import sklearn as sk\nclf = sk.ensemble.RandomForestClassifier(n_estimators=100)",
          "<option value=\"sk-SK\">Slovenčina</option>"]:
    N("sk-word", t)

for t in ["MAKIAVELLI_MODE=true", "const AKIA_PREFIX_LENGTH = 4;", "FOOAKIAABCDEFGHIJKLMNOPQRST",
          "AKIA2QJ7 is too short to be a key id", "Rule: access key ids start with AKIA (long-term) or ASIA (temporary).",
          "id: AKIAZ3MQLKWN7RTY4HVBXPSC9D2"]:
    N("akia-word", t)

for t in ["curl http://localhost:8080/health", "Listening on http://127.0.0.1:3000",
          "DATABASE_URL=postgres://localhost/db", "redis://localhost:6379/0", "bind 0.0.0.0:8000",
          "ssh -L 5432:localhost:5432 jump", "[::1]:443"]:
    N("localhost", t)

for t in ["curl -s https://api.github.com/repos/acme/app/releases/latest", "registry=https://registry.npmjs.org/",
          "See https://example.com/docs/getting-started?lang=en#install", "https://www.google.com/search?q=redaction+rules",
          "Fetching https://pypi.org/simple/requests/", "Resolving deb.debian.org (deb.debian.org)... 151.101.2.132",
          "GET https://shopfront.io/api/v1/products?page=3 200 41ms"]:
    N("public-host", t)

for t in ["git@github.com:acme/app.git", "https://octocat@github.com/acme/app.git",
          "mongodb://mongo:27017/app", "ssh://git@gitlab.com/platform/deploy.git",
          "mailto:support@shopfront.io", "postgresql://postgres@localhost:5432/app",
          "amqp://rabbitmq:5672/", "https://user@bitbucket.org/acme/mobile.git",
          "jdbc:postgresql://db.shopfront.io:5432/orders?sslmode=require",
          "ftp://ftp.debian.org/debian/"]:
    N("url-no-password", t)

for t in ["nameserver 8.8.8.8\nnameserver 1.1.1.1", "Connected to github.com (140.82.112.3) port 443",
          "route add 172.32.0.1 via gateway", "Ping 192.169.4.20: 64 bytes, time=12 ms",
          "allow 172.15.255.254;", "PTR record for 11.0.0.1", "TEST-NET address 203.0.113.7 (RFC 5737)"]:
    N("public-ip", t)

for t in ["OS Version: 10.0.19045.3803", "node v20.11.1", '"version": "10.2.4"', "Python 3.11.7",
          "Successfully installed numpy-1.26.4 pandas-2.2.2", "Chrome/124.0.6367.207 Safari/537.36",
          "gcc (Debian 12.2.0-14) 12.2.0", "terraform v1.8.5 on linux_amd64", "image: postgres:16.3-alpine3.20"]:
    N("version", t)

for t in ["color: #1e293b;", "background-color: #ffcc00; border-color: #c0ffee;",
          "--brand-primary: rgba(37, 99, 235, 0.92);", "colors: { slate: { 900: '#0f172a', 800: '#1e293b' } }"]:
    N("css-color", t)

for t in ["class AbstractSingletonProxyFactoryBeanConfigurationManagerTest extends BaseTest {}",
          "PASSWORD_MIN_LENGTH=12", "SECRET_KEY_LENGTH = 32", "password_reset_token_expiry_hours = 24",
          'TOKEN_ENDPOINT = "/oauth/token"', 'token_type = "Bearer"', "grant_type=password&username=dana",
          "const MAX_TOKENS_PER_REQUEST = 4096;", 'api_key_header_name = "X-API-Key"',
          "if (passwordInput.value !== confirmPasswordInput.value) showError();",
          "def check_password(password: str) -> bool:", '"password": {"type": "string", "minLength": 12}',
          "docker login --username dana --password-stdin < token.txt", "secret_santa_assignments = shuffle(people)",
          "useTokenRefreshInterceptorWithExponentialBackoffAndJitter()"]:
    N("identifier", t)

for t in ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "A JWT looks like eyJhbGciOi...eyJzdWIiOi...SflKxwRJ (three segments).",
          '"token": "eyJ..."', "eyJ0ZXN0IjoxfQ==", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
          "session.eyJ.abc"]:
    N("jwt-like", t)

N("public-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + b64(rbytes(32))[:43] + " dana@laptop")
N("public-key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ" + b64(rbytes(384)) + " ci@runner")
N("public-key", pem("PUBLIC KEY", bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00") + rbytes(270)))
N("public-key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGX" + "\n".join(b64(rbytes(48)) for _ in range(8)) + "\n=a3Fx\n-----END PGP PUBLIC KEY BLOCK-----")
N("certificate", pem("CERTIFICATE", bytes.fromhex("308203") + rbytes(800)))
N("certificate", pem("CERTIFICATE REQUEST", bytes.fromhex("308202") + rbytes(600)))
N("certificate", "$ openssl x509 -in cert.pem -noout -fingerprint -sha256\nsha256 Fingerprint=" + ":".join(chars(2, "0123456789ABCDEF") for _ in range(32)))

for t in ['if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    kind = "pkcs1"',
          'GITHUB_TOKEN_RE = re.compile(r"gh[pousr]_[A-Za-z0-9]{36}")', 'PEM_HEADER = "-----BEGIN PRIVATE KEY-----"',
          "Set the `password` field to your database password and restart the service.",
          'const AUTH_HEADER = "Authorization";', "Paste your API key (it starts with sk-ant-api03-) into the settings page.",
          "grep -rn 'AKIA[0-9A-Z]\\{16\\}' .", "Password=;Integrated Security=SSPI;",
          "Server=localhost;Database=app;Trusted_Connection=True;",
          "The header is `Authorization: Basic base64(user:password)`."]:
    N("code-mention", t)

for t in ["npm install @aws-sdk/client-s3 jsonwebtoken dotenv", '"@slack/web-api": "^7.0.2",',
          "import com.acme.internal.util.StringUtils;", 'import "github.com/acme/app/internal/auth"',
          "pip install google-api-python-client stripe twilio sendgrid", "using Microsoft.Extensions.Internal;",
          "from huggingface_hub import hf_hub_download"]:
    N("package-name", t)

for t in ["cp .env.example .env.local", "Reading settings.local.json", "docker compose -f docker-compose.local.yml up",
          "func start --settings local.settings.json", "ls ~/.local/share/mantra", "/usr/local/bin/node"]:
    N("filename", t)

for t in ["_state = threading.local()", "if (config.internal) { return next(); }", "this.corp = corpName;",
          "self.lan = LanSettings.from_env()"]:
    N("property-access", t)

N("docker-digest", "FROM node:20-alpine@sha256:" + chars(64, HEX))
N("docker-digest", "Digest: sha256:" + chars(64, HEX) + "\nStatus: Downloaded newer image for nginx:1.27")
N("docker-digest", '"RepoDigests": ["postgres@sha256:' + chars(64, HEX) + '"]')

N("hash", chars(32, HEX) + "  release.tar.gz")
N("hash", "$ sha256sum mantra-linux-amd64.tar.gz\n" + chars(64, HEX) + "  mantra-linux-amd64.tar.gz")
N("hash", "X-Hub-Signature-256: sha256=" + chars(64, HEX))
N("hash", 'ETag: "' + chars(32, HEX) + '"')
N("hash", "main.3f2a9c1b.js   142.3 kB\nvendor.8d1e07aa.js  311.8 kB")

N("sourcemap", '{"version":3,"sources":["../src/index.ts"],"mappings":"AAAA,SAAS,GAAG,CAAC,CAAS,EAAE,CAAS;IAC/B,OAAO,CAAC,GAAG,CAAC,CAAC;AACf,CAAC","names":[]}')
N("base64-other", "$ echo -n 'Hello, World!' | base64\nSGVsbG8sIFdvcmxkIQ==")
N("base64-other", "Content-Transfer-Encoding: base64\n\n" + "\n".join(b64(rbytes(57)) for _ in range(3)))
N("base64-other", '"nonce": "' + b64(rbytes(16)) + '"')

N("doc-example", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")

for t in ["Never commit a password or an API key to git; use the secret manager instead.",
          "Rotate the deploy token every 90 days.", "The secret ingredient is a pinch of smoked paprika.",
          "Token usage: 12,431 input / 1,092 output", "I forgot my password again, can you add a reset link to the login page?"]:
    N("prose", t)


# --- output and checks -------------------------------------------------------------------------

PRIVATE_IP_RE = re.compile(r"(?<![\d.])(10\.\d{1,3}\.\d{1,3}\.\d{1,3}|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3})(?![\d.])")
INTERNAL_RE = re.compile(r"(?<![/~])\b[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.(internal|corp|local|lan|intranet)\b")


def build():
    positives = [dict(id="pos-%03d" % (i + 1), **p) for i, p in enumerate(POS)]
    negatives = [dict(id="neg-%03d" % (i + 1), **n) for i, n in enumerate(NEG)]
    return positives, negatives


def validate(positives, negatives):
    problems = []
    ids = [s["id"] for s in positives + negatives]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    for s in positives:
        if s["rule"] not in RULES:
            problems.append("%s: unknown rule %s" % (s["id"], s["rule"]))
        if not s["secret"] or s["secret"] not in s["text"]:
            problems.append("%s: secret not in text" % s["id"])
        if "EXAMPLE" in s["secret"].upper():
            problems.append("%s: secret would be allow-listed (EXAMPLE)" % s["id"])
        if s["rule"] != "private-ip" and PRIVATE_IP_RE.search(s["text"]):
            problems.append("%s: holds a private IP besides its %s" % (s["id"], s["rule"]))
        if s["rule"] != "internal-host" and INTERNAL_RE.search(s["text"]):
            problems.append("%s: holds an internal host besides its %s" % (s["id"], s["rule"]))
    texts = [s["text"] for s in positives + negatives]
    if len(texts) != len(set(texts)):
        problems.append("duplicate texts")
    for s in negatives:
        if PRIVATE_IP_RE.search(s["text"]):
            problems.append("%s: negative holds a private IP" % s["id"])
        if s["why"] not in ("filename", "package-name", "property-access") and INTERNAL_RE.search(s["text"]):
            problems.append("%s: negative holds an internal host" % s["id"])
    counts = collections.Counter(s["rule"] for s in positives)
    for r in RULES:
        if counts[r] < 4:
            problems.append("rule %s has %d positives (< 4)" % (r, counts[r]))
    if len(positives) < 150 or len(negatives) < 150:
        problems.append("fewer than 150 positives or negatives")
    return problems


def dump(samples):
    return "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if the committed files differ from what this script makes")
    ap.add_argument("--out", default=HERE, help="folder to write to (default: beside this script)")
    args = ap.parse_args()
    positives, negatives = build()
    problems = validate(positives, negatives)
    files = {"positives.jsonl": dump(positives), "negatives.jsonl": dump(negatives)}
    if args.check:
        for name, content in files.items():
            path = os.path.join(args.out, name)
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != content:
                        problems.append("%s differs from the generator's output" % name)
            except OSError as e:
                problems.append("%s: %s" % (path, e))
    else:
        for name, content in files.items():
            with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
                f.write(content)
    counts = collections.Counter(s["rule"] for s in positives)
    print("positives: %d" % len(positives))
    for r in RULES:
        print("  %-24s %3d" % (r, counts[r]))
    print("negatives: %d" % len(negatives))
    for why, n in sorted(collections.Counter(s["why"] for s in negatives).items(), key=lambda kv: (-kv[1], kv[0])):
        print("  %-24s %3d" % (why, n))
    for p in problems:
        print("PROBLEM: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
