# The billing configuration a GitOps repository keeps (the workflows plan this folder).
# Connection: CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN (a billing_admin token).

terraform {
  required_providers {
    cloudbilling = {
      source = "cloudbilling/cloudbilling"
    }
  }
}

provider "cloudbilling" {}

variable "platform_payment_reference" {
  description = "Payment processor token of the platform team's card."
  type        = string
  sensitive   = true
}

data "cloudbilling_project" "web" {
  name = "web"
}

data "cloudbilling_project" "api" {
  name = "api"
}

resource "cloudbilling_billing_group" "platform" {
  name           = "Platform"
  billing_emails = ["platform-billing@example.com"]
  invoice_emails = ["finance@example.com"]
  payment_method = {
    type      = "card"
    reference = var.platform_payment_reference
  }
}

resource "cloudbilling_project_link" "web" {
  project_id       = data.cloudbilling_project.web.id
  billing_group_id = cloudbilling_billing_group.platform.id
}

resource "cloudbilling_project_link" "api" {
  project_id       = data.cloudbilling_project.api.id
  billing_group_id = cloudbilling_billing_group.platform.id
}
