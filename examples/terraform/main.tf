# Billing groups as code with the cloudbilling provider.
#
# Works against the demo domain (`cloudbilling serve --demo`, or `npm run demo`), which
# has the projects "chatbot", "sandbox" and "shared-vpc" in the main group and a
# "Platform" sub group.
#
#   export CLOUDBILLING_API_URL=http://127.0.0.1:8787
#   export CLOUDBILLING_TOKEN=...            # a billing_admin token
#   terraform init && terraform apply -var mobile_lead_user_id=usr-...

terraform {
  required_providers {
    cloudbilling = {
      source = "cloudbilling/cloudbilling"
    }
  }
}

# api_url and token fall back to CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN.
provider "cloudbilling" {}

variable "main_payment_reference" {
  description = "Payment processor token of the company account (never a card number)."
  type        = string
  sensitive   = true
  default     = "pm_example_company_account"
}

variable "mobile_lead_user_id" {
  description = "Id of the user who follows the Mobile group's bill (GET /v1/users)."
  type        = string
}

data "cloudbilling_domain" "this" {}

# The main group always exists: declaring it adopts it. It must have a payment method
# before sub groups can be created (MAIN_PAYMENT_REQUIRED).
resource "cloudbilling_main_billing_group" "main" {
  billing_emails = ["finance@example.com"]
  invoice_emails = ["ap@example.com"]
  payment_method = { type = "account", reference = var.main_payment_reference }
  details = {
    company       = "Example Inc."
    address_lines = ["1 Market Street", "San Francisco, CA 94105"]
    country_code  = "US"
  }
}

resource "cloudbilling_billing_group" "mobile" {
  name           = "Mobile"
  billing_emails = ["mobile-billing@example.com", "finance@example.com"]
  invoice_emails = ["ap@example.com"]
  payment_method = { type = "card", reference = "pm_example_card_mobile" }
  details        = { company = "Example Inc. (Mobile)" }

  # No depends_on needed: the plan checks MAIN_PAYMENT_REQUIRED against the payment
  # method planned for the main group, and one apply writes the whole change.
}

resource "cloudbilling_billing_group" "security" {
  name           = "Security"
  billing_emails = ["security-billing@example.com"]
  invoice_emails = ["ap@example.com"]
  payment_method = { type = "card", reference = "pm_example_card_security" }
  # Set to true to make plans that delete or replace this group fail.
  deletion_protection = false
}

resource "cloudbilling_billing_group" "partners" {
  name           = "Partnerships"
  billing_emails = ["partners@example.com"]
  invoice_emails = ["ap@example.com"]
  payment_method = { type = "account", reference = "pm_example_account_partners" }
}

data "cloudbilling_project" "chatbot" {
  name = "chatbot"
}

data "cloudbilling_project" "sandbox" {
  name = "sandbox"
}

data "cloudbilling_project" "shared_vpc" {
  name = "shared-vpc"
}

# Moving a project from the main group into a sub group. A move between two sub groups
# needs allow_transfer = true (TRANSFER_NOT_ACKNOWLEDGED otherwise).
resource "cloudbilling_project_link" "chatbot" {
  project_id       = data.cloudbilling_project.chatbot.id
  billing_group_id = cloudbilling_billing_group.mobile.id
}

resource "cloudbilling_project_link" "sandbox" {
  project_id       = data.cloudbilling_project.sandbox.id
  billing_group_id = cloudbilling_billing_group.security.id
}

resource "cloudbilling_project_link" "shared_vpc" {
  project_id       = data.cloudbilling_project.shared_vpc.id
  billing_group_id = cloudbilling_billing_group.security.id
}

resource "cloudbilling_group_permission" "mobile_lead" {
  billing_group_id = cloudbilling_billing_group.mobile.id
  user_id          = var.mobile_lead_user_id
}

# Invoices of a group, e.g. to alert on open ones.
data "cloudbilling_invoices" "platform" {
  billing_group_id = data.cloudbilling_billing_group.platform.id
}

data "cloudbilling_billing_group" "platform" {
  name = "Platform"
}

output "platform_open_invoices" {
  value = [for i in data.cloudbilling_invoices.platform.invoices : "${i.period}: ${i.total}" if i.status == "open"]
}

output "domain" {
  value = data.cloudbilling_domain.this.name
}

output "groups" {
  value = {
    mobile   = cloudbilling_billing_group.mobile.id
    security = cloudbilling_billing_group.security.id
    partners = cloudbilling_billing_group.partners.id
  }
}

output "chatbot_billed_to_mobile_from" {
  description = "First whole month billed to the Mobile group."
  value       = cloudbilling_project_link.chatbot.effective_from
}
