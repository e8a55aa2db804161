"""A second, differently named small stack (`shop`: Services shop-web and shop-api, namespace
storefront), written into a folder: a stack devstack has never seen, for `init` and `validate`."""

from __future__ import annotations

import json
from pathlib import Path

SKAFFOLD = """\
apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: shop
build:
  local:
    push: false
  artifacts:
    - image: shop-web
      context: app/web
      docker:
        dockerfile: Dockerfile
    - image: shop-api
      context: app/api
      docker:
        dockerfile: Dockerfile
deploy:
  helm:
    releases:
      - name: shop
        chartPath: charts/shop
        namespace: storefront
        createNamespace: true
        valuesFiles:
          - charts/shop/values.yaml
        setValueTemplates:
          web.image: "{{.IMAGE_FULLY_QUALIFIED_shop_web}}"
          api.image: "{{.IMAGE_FULLY_QUALIFIED_shop_api}}"
profiles:
  - name: dev
    deploy:
      statusCheckDeadlineSeconds: 120
  - name: ci
    deploy:
      statusCheckDeadlineSeconds: 300
"""

CHART = """\
apiVersion: v2
name: shop
description: A small shop, frontend and API.
type: application
version: 0.1.0
appVersion: "1.0.0"
"""

VALUES = """\
web:
  image: shop-web:dev
  port: 5173
  apiUrl: http://localhost:9090
api:
  image: shop-api:dev
  port: 9090
"""

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        part: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "image": {"type": "string"},
                "port": {"type": "integer"},
                **({"apiUrl": {"type": "string"}} if part == "web" else {}),
            },
        }
        for part in ("web", "api")
    },
}

TEMPLATE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{{{ .Release.Name }}}}-{part}
spec:
  selector:
    app: {{{{ .Release.Name }}}}-{part}
  ports:
    - name: http
      port: {{{{ .Values.{part}.port }}}}
      targetPort: {{{{ .Values.{part}.port }}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ .Release.Name }}}}-{part}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {{{{ .Release.Name }}}}-{part}
  template:
    metadata:
      labels:
        app: {{{{ .Release.Name }}}}-{part}
    spec:
      containers:
        - name: {part}
          image: {{{{ .Values.{part}.image }}}}
          ports:
            - containerPort: {{{{ .Values.{part}.port }}}}
{env}"""

WEB_ENV = """\
          env:
            - name: VITE_API_BASE_URL
              value: {{ .Values.web.apiUrl | quote }}
"""


def write_shop_stack(root: Path) -> Path:
    """Write the shop stack (no profiles/) into `root` and return it."""
    (root / "charts" / "shop" / "templates").mkdir(parents=True)
    (root / "skaffold.yaml").write_text(SKAFFOLD)
    chart = root / "charts" / "shop"
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "values.yaml").write_text(VALUES)
    (chart / "values.schema.json").write_text(json.dumps(SCHEMA, indent=2))
    for part, env in (("web", WEB_ENV), ("api", "")):
        (chart / "templates" / f"{part}.yaml").write_text(TEMPLATE.format(part=part, env=env))
        app = root / "app" / part
        app.mkdir(parents=True)
        (app / "Dockerfile").write_text(
            'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
        )
    return root
