using Pulse.Runtime;
using Pulse.Runtime.Serialization;

namespace Pulse.GrainInterfaces.RateLimiting;

/// <summary>
/// A tenant's named server-side policies and the index of its blocked keys. Keyed by tenant id.
/// Gateways cache the policy set by <see cref="RateLimitPolicySet.Version"/>.
/// </summary>
[GrainType("ratelimit.policies")]
public interface IRateLimitPolicyGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces a policy; returns true when it was created.</summary>
    Task<bool> PutPolicyAsync(RateLimitPolicy policy);

    /// <summary>Deletes a policy; returns whether it existed.</summary>
    Task<bool> DeletePolicyAsync(string name);

    /// <summary>Every policy with the set's version.</summary>
    [ReadOnly]
    Task<RateLimitPolicySet> GetPoliciesAsync();

    /// <summary>Blocks a client key until a time, for every limit; replaces an existing block.</summary>
    Task<RateLimitBlock> AddBlockAsync(string clientKey, long untilUnixMs, string reason);

    /// <summary>Records a block a penalty placed, so it is listed; sent by the limiter grain.</summary>
    [OneWay]
    Task RecordPenaltyBlockAsync(RateLimitBlock block);

    /// <summary>Lifts a block; returns whether the key was blocked.</summary>
    Task<bool> RemoveBlockAsync(string clientKey);

    /// <summary>Blocks still in force, ordered by key.</summary>
    [ReadOnly]
    Task<RateLimitBlock[]> GetBlocksAsync();
}

/// <summary>A named limit a tenant defines once and names in checks.</summary>
/// <param name="Name">1..128 characters of letters, digits, '-', '_', '.' and ':'.</param>
/// <param name="Rule">The limit.</param>
/// <param name="Shadow">Count and report, but always allow.</param>
/// <param name="UpdatedUnixMs">When it was last written.</param>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitPolicy(
    [property: Id(0)] string Name,
    [property: Id(1)] RateLimitRule Rule,
    [property: Id(2)] bool Shadow,
    [property: Id(3)] long UpdatedUnixMs);

/// <summary>A tenant's policies at one version.</summary>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitPolicySet(
    [property: Id(0)] long Version,
    [property: Id(1)] RateLimitPolicy[] Policies);

/// <summary>A blocked client key.</summary>
/// <param name="Key">The client key.</param>
/// <param name="UntilUnixMs">When the block ends.</param>
/// <param name="Reason">Why, as given by the operator or the penalty.</param>
/// <param name="Penalty">Whether a penalty placed it.</param>
/// <param name="CreatedUnixMs">When it was placed.</param>
[GenerateSerializer]
[Immutable]
public sealed record RateLimitBlock(
    [property: Id(0)] string Key,
    [property: Id(1)] long UntilUnixMs,
    [property: Id(2)] string Reason,
    [property: Id(3)] bool Penalty,
    [property: Id(4)] long CreatedUnixMs);
