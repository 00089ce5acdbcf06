terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}

variable "openspecimen_password" {
  type      = string
  sensitive = true
}

# Credentials may also come from OPENSPECIMEN_URL, OPENSPECIMEN_USERNAME,
# OPENSPECIMEN_PASSWORD (or OPENSPECIMEN_TOKEN) in the environment, which stand in
# for an attribute left out or set to "" (an empty variable).
provider "openspecimen" {
  url      = "https://biobank.example.org/openspecimen/rest/ng"
  username = "export-bot"
  password = var.openspecimen_password
  timezone = "Europe/Berlin" # zone of dates such as 2022-02-21 06:15
}
