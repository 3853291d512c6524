# Bringing existing billing objects under Terraform with import blocks
# (Terraform 1.5+). Written for the demo domain (`cloudbilling serve --demo`): its
# "Platform" group, the "api-gateway" project linked to it, and Pat Platform's
# membership. `terraform plan` shows "4 to import, 0 to add, 0 to change": the
# configuration below matches what exists, field by field.
#
# Import ids: a group id; anything for the main group; a project id for a link;
# GROUP_ID/USER_ID for a permission. The same ids work with `terraform import`.

terraform {
  required_providers {
    cloudbilling = {
      source = "cloudbilling/cloudbilling"
    }
  }
}

provider "cloudbilling" {}

variable "platform_lead_user_id" {
  description = "Id of Pat Platform (GET /v1/users)."
  type        = string
}

data "cloudbilling_billing_group" "platform" {
  name = "Platform"
}

data "cloudbilling_project" "api_gateway" {
  name = "api-gateway"
}

import {
  to = cloudbilling_main_billing_group.main
  id = "main"
}

import {
  to = cloudbilling_billing_group.platform
  id = data.cloudbilling_billing_group.platform.id
}

import {
  to = cloudbilling_project_link.api_gateway
  id = data.cloudbilling_project.api_gateway.id
}

import {
  to = cloudbilling_group_permission.platform_lead
  id = "${data.cloudbilling_billing_group.platform.id}/${var.platform_lead_user_id}"
}

resource "cloudbilling_main_billing_group" "main" {
  billing_emails = ["admin@example.com"]
  invoice_emails = ["admin@example.com"]
  payment_method = { type = "account", reference = "pm_demo_main_account" }
  details = {
    company       = "example Inc."
    address_lines = ["1 Market Street", "San Francisco, CA 94105"]
    country_code  = "US"
  }
}

resource "cloudbilling_billing_group" "platform" {
  name           = "Platform"
  billing_emails = ["billing+platform@example.com"]
  invoice_emails = ["ap@example.com"]
  payment_method = { type = "card", reference = "pm_demo_card_platform" }
  details        = { company = "example Inc. (Platform)" }
}

resource "cloudbilling_project_link" "api_gateway" {
  project_id       = data.cloudbilling_project.api_gateway.id
  billing_group_id = cloudbilling_billing_group.platform.id
}

resource "cloudbilling_group_permission" "platform_lead" {
  billing_group_id = cloudbilling_billing_group.platform.id
  user_id          = var.platform_lead_user_id
}
