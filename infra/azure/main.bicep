// The lake's Azure resources: an ADLS Gen2 account with the lake and exports containers, the pipeline's
// user-assigned identity (optionally federated with the run pods' Kubernetes service account) and the
// account-scope roles. Entra ID groups are not created here (no core ARM provider can): their object IDs
// come in as parameters. Readers get no role at account scope; `insights access apply` gives them POSIX
// ACLs per access.yaml's grants. Why, and what was validated: docs/deploy.md#the-resources-as-code-bicep.
targetScope = 'resourceGroup'

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Storage account name: 3-24 lowercase letters and digits, unique in Azure.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Replication of the account.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS'])
param storageSku string = 'Standard_ZRS'

@description('Container (filesystem) that holds the lake: INSIGHTS_LAKE = abfss://<this>@<account>.dfs.core.windows.net/<lakeFolder>.')
param lakeContainerName string = 'lake'

@description('Folder inside the lake container that is the lake root.')
param lakeFolder string = 'insights'

@description('Container that exports.yaml and `insights export --to` write to.')
param exportsContainerName string = 'exports'

@description('Shared key (account key) authorisation; off: every request carries an Entra ID token or a user-delegation SAS.')
param allowSharedKeyAccess bool = false

@description('Name of the pipeline\'s user-assigned managed identity.')
param identityName string = 'id-customer-insights'

@description('Object IDs of the Entra ID groups of access.yaml\'s admin role: Storage Blob Data Owner on the account (everything, and setting ACLs).')
param adminGroupObjectIds array = []

@description('Object IDs of the groups or service principals that pick up exports: Storage Blob Data Reader on the exports container only.')
param exportReaderObjectIds array = []

@description('Principal type of exportReaderObjectIds.')
@allowed(['Group', 'ServicePrincipal', 'User'])
param exportReaderPrincipalType string = 'Group'

@description('OIDC issuer URL of the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl); empty: no federated credential.')
param oidcIssuerUrl string = ''

@description('Namespace of the Kubernetes service account the run pods and executors use.')
param serviceAccountNamespace string = 'dagster'

@description('Name of that Kubernetes service account.')
param serviceAccountName string = 'insights-spark'

// Built-in role definition IDs (the same in every cloud), from Microsoft's list of built-in roles for Storage.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var federated = !empty(oidcIssuerUrl)

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    isHnsEnabled: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    defaultToOAuthAuthentication: true
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource lakeContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: lakeContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource exportsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: exportsContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
}

resource federation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = if (federated) {
  parent: identity
  name: 'kubernetes-${serviceAccountNamespace}-${serviceAccountName}'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${serviceAccountNamespace}:${serviceAccountName}'
    audiences: ['api://AzureADTokenExchange']
  }
}

// The pipeline writes the whole lake and the exports, and owns what it creates (so its ACLs stay its own).
resource pipelineContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, identity.id, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource adminOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for groupId in adminGroupObjectIds: {
  scope: account
  name: guid(account.id, groupId, storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: groupId
    principalType: 'Group'
  }
}]

resource exportReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for objectId in exportReaderObjectIds: {
  scope: exportsContainer
  name: guid(exportsContainer.id, objectId, storageBlobDataReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: objectId
    principalType: exportReaderPrincipalType
  }
}]

// What the pipeline's environment needs (README, "Environment variables"), named as the variables are.
output INSIGHTS_LAKE string = 'abfss://${lakeContainer.name}@${account.name}.dfs.${environment().suffixes.storage}/${lakeFolder}'
output AZURE_CLIENT_ID string = identity.properties.clientId
output AZURE_TENANT_ID string = identity.properties.tenantId
output INSIGHTS_AZURE_AUTH string = federated ? 'workload_identity' : 'managed_identity'
output exportsRoot string = 'abfss://${exportsContainer.name}@${account.name}.dfs.${environment().suffixes.storage}'
