namespace Pulse.Gateway.Api.Tenants;

/// <summary>Input limits of the tenant routes (documented in the README's input limits table).</summary>
public static class TenantLimits
{
    /// <summary>Longest tenant name, after trimming.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Largest request quota limit.</summary>
    public const long MaxQuotaLimit = 1_000_000_000;

    /// <summary>Longest request quota window: one day.</summary>
    public const long MaxQuotaWindowMs = 86_400_000;
}
