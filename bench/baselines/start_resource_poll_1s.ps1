param(
    [Parameter(Mandatory = $true)][string]$Name,
    [Parameter(Mandatory = $true)][int]$TimeoutSeconds,
    [switch]$CheckOnly
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$ProgressPreference = 'SilentlyContinue'
# Brings $Name online if it is not, then polls its state once a second until it is
# Online, Failed, or $TimeoutSeconds have passed; -Wait alone is not trusted to mean
# Online. Reports the final state, owner node, possible owners and dependencies.
$changed = $false
$exists = @(Get-ClusterResource | Where-Object { $_.Name -eq $Name }).Count -gt 0
if (-not $exists -and -not $CheckOnly) {
    throw "cluster resource '$Name' does not exist: the step that creates it must run first"
}
$beforeState = $null
if ($exists) {
    $beforeState = [string](Get-ClusterResource | Where-Object { $_.Name -eq $Name }).State
}
$state = $beforeState
$waited = 0
if ($beforeState -ne 'Online') {
    $changed = $true
    if (-not $CheckOnly) {
        $null = Get-ClusterResource | Where-Object { $_.Name -eq $Name } | Start-ClusterResource -Wait 0
        $state = [string](Get-ClusterResource | Where-Object { $_.Name -eq $Name }).State
        while ($state -ne 'Online' -and $state -ne 'Failed' -and $waited -lt $TimeoutSeconds) {
            Start-Sleep -Seconds 1
            $waited += 1
            $state = [string](Get-ClusterResource | Where-Object { $_.Name -eq $Name }).State
        }
        if ($state -ne 'Online') {
            throw "cluster resource '$Name' is $state after $waited s (timeout $TimeoutSeconds s): see the cluster log and the SSIS service's event log on the owner node"
        }
    } else {
        $state = 'Online'
    }
}
$after = [ordered]@{ State = $state; OwnerNode = $null; OwnerGroup = $null; PossibleOwners = @(); Dependencies = '' }
if ($exists -or -not $CheckOnly) {
    $resource = Get-ClusterResource | Where-Object { $_.Name -eq $Name }
    $after.OwnerNode = [string]$resource.OwnerNode
    $after.OwnerGroup = [string]$resource.OwnerGroup
    $after.PossibleOwners = @((Get-ClusterOwnerNode -InputObject $resource).OwnerNodes | ForEach-Object { [string]$_.Name })
    $after.Dependencies = [string](Get-ClusterResourceDependency -InputObject $resource).DependencyExpression
}
$result = [ordered]@{
    Before        = [ordered]@{ Exists = $exists; State = $beforeState }
    After         = $after
    WaitedSeconds = $waited
}
# The one result object every script emits. Remoting serialises output at depth 1,
# so structured data travels as JSON text instead of nested objects.
[PSCustomObject]@{
    PSRunbookResult = 1
    Changed         = [bool]$changed
    CheckOnly       = [bool]$CheckOnly
    Data            = ConvertTo-Json -InputObject $result -Depth 8 -Compress
}
