using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.RateLimiting;

/// <summary>Persisted policies and block index of one tenant.</summary>
public sealed class RateLimitPolicyState
{
    /// <summary>Bumped by every policy change; gateways cache the set by it.</summary>
    public long Version { get; set; }

    /// <summary>Policies by name.</summary>
    public Dictionary<string, RateLimitPolicy> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Blocks by client key, expired ones pruned on write.</summary>
    public Dictionary<string, RateLimitBlock> Blocks { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A tenant's policies and blocked keys. Every change is written before it is acknowledged: policies are
/// configuration, not counters. The block index is what operators list; the block itself is enforced by
/// the key's <see cref="IRateLimiterGrain"/>, which this grain tells first.
/// </summary>
public sealed class RateLimitPolicyGrain(
    [PersistentState("policies")] IPersistentState<RateLimitPolicyState> state) : Grain, IRateLimitPolicyGrain
{
    /// <summary>Most policies a tenant may define.</summary>
    public const int MaxPolicies = 1_000;

    /// <summary>Most blocks listed per tenant; the oldest-ending are dropped beyond it.</summary>
    public const int MaxListedBlocks = 10_000;

    private RateLimitPolicySet? _snapshot;

    private long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public async Task<bool> PutPolicyAsync(RateLimitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Dictionary<string, RateLimitPolicy> policies = state.State.Policies;
        bool created = !policies.ContainsKey(policy.Name);
        if (created && policies.Count >= MaxPolicies)
        {
            throw new InvalidOperationException($"A tenant may define at most {MaxPolicies} policies.");
        }

        policies[policy.Name] = policy;
        state.State.Version++;
        _snapshot = null;
        await state.WriteStateAsync();
        return created;
    }

    /// <inheritdoc />
    public async Task<bool> DeletePolicyAsync(string name)
    {
        if (!state.State.Policies.Remove(name))
        {
            return false;
        }

        state.State.Version++;
        _snapshot = null;
        await state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc />
    public Task<RateLimitPolicySet> GetPoliciesAsync()
    {
        _snapshot ??= new RateLimitPolicySet(
            state.State.Version,
            state.State.Policies.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray());
        return Task.FromResult(_snapshot);
    }

    /// <inheritdoc />
    public async Task<RateLimitBlock> AddBlockAsync(string clientKey, long untilUnixMs, string reason)
    {
        long now = NowMs;
        await GrainFactory.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(GetPrimaryKeyString(), clientKey)).BlockAsync(untilUnixMs, reason);
        var block = new RateLimitBlock(clientKey, untilUnixMs, reason, Penalty: false, CreatedUnixMs: now);
        Index(block, now);
        await state.WriteStateAsync();
        return block;
    }

    /// <inheritdoc />
    public async Task RecordPenaltyBlockAsync(RateLimitBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        Index(block, NowMs);
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task<bool> RemoveBlockAsync(string clientKey)
    {
        bool enforced = await GrainFactory.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(GetPrimaryKeyString(), clientKey)).UnblockAsync();
        bool listed = state.State.Blocks.Remove(clientKey, out RateLimitBlock? block) && block.UntilUnixMs > NowMs;
        if (listed || block is not null)
        {
            await state.WriteStateAsync();
        }

        return enforced || listed;
    }

    /// <inheritdoc />
    public Task<RateLimitBlock[]> GetBlocksAsync()
    {
        long now = NowMs;
        RateLimitBlock[] blocks = state.State.Blocks.Values
            .Where(b => b.UntilUnixMs > now)
            .OrderBy(b => b.Key, StringComparer.Ordinal)
            .ToArray();
        return Task.FromResult(blocks);
    }

    private void Index(RateLimitBlock block, long now)
    {
        Dictionary<string, RateLimitBlock> blocks = state.State.Blocks;
        blocks[block.Key] = block;
        if (blocks.Count <= MaxListedBlocks)
        {
            return;
        }

        foreach (string expired in blocks.Values.Where(b => b.UntilUnixMs <= now).Select(b => b.Key).ToList())
        {
            blocks.Remove(expired);
        }

        if (blocks.Count > MaxListedBlocks)
        {
            foreach (string early in blocks.Values.OrderBy(b => b.UntilUnixMs).Take(blocks.Count - MaxListedBlocks).Select(b => b.Key).ToList())
            {
                blocks.Remove(early);
            }
        }
    }
}
