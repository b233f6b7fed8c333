using Pulse.GrainInterfaces.RateLimiting;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.RateLimiting;

/// <summary>
/// One client key of one tenant. Windows live in memory and are written when the activation is
/// collected or moves (a killed silo loses at most the windows it held: the limit restarts full,
/// which is the conservative failure for a rate limiter's callers). A key whose windows have all
/// refilled and that carries no block is deleted from storage instead of written, so storage holds
/// only keys that still matter.
/// </summary>
public sealed class RateLimiterGrain(
    [PersistentState("limiter")] IPersistentState<RateLimiterState> state) : Grain, IRateLimiterGrain
{
    // The rule each window was last checked with, to tell at deactivation whether it has refilled.
    // Kept out of the persisted state: it arrives with every check.
    private string? _firstRuleWindow;
    private RateLimitRule? _firstRule;
    private Dictionary<string, RateLimitRule>? _otherRules;

    private long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public ValueTask<RateLimitCheckResult> CheckAsync(RateLimitCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return ValueTask.FromResult(Check(check, NowMs));
    }

    /// <inheritdoc />
    public ValueTask<RateLimitCheckResult[]> CheckManyAsync(RateLimitCheck[] checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        long now = NowMs;
        var results = new RateLimitCheckResult[checks.Length];
        for (int i = 0; i < checks.Length; i++)
        {
            results[i] = Check(checks[i], now);
        }

        return ValueTask.FromResult(results);
    }

    /// <inheritdoc />
    public ValueTask<RateLimitCheckResult> PeekAsync(RateLimitCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return ValueTask.FromResult(Peek(check, NowMs, trials: null));
    }

    /// <inheritdoc />
    public ValueTask<RateLimitCheckResult[]> PeekManyAsync(RateLimitCheck[] checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        long now = NowMs;
        var trials = new Dictionary<string, RateLimitWindowState>(StringComparer.Ordinal);
        var results = new RateLimitCheckResult[checks.Length];
        for (int i = 0; i < checks.Length; i++)
        {
            results[i] = Peek(checks[i], now, trials);
        }

        return ValueTask.FromResult(results);
    }

    /// <inheritdoc />
    public ValueTask RefundAsync(string window, RateLimitRule rule, long cost)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (cost > 0 && state.State.Find(window, create: false) is { } windowState)
        {
            RateLimitEvaluator.Evaluate(windowState, rule, -cost, NowMs);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task ResetAsync(string? window)
    {
        if (window is null)
        {
            state.State.ClearWindows();
            _firstRuleWindow = null;
            _firstRule = null;
            _otherRules = null;
            // A reset forgives rejections and penalty blocks; an operator's manual block stays until lifted.
            if (state.State.Penalty is { } penalty && !(penalty.Manual && RateLimitPenalties.IsBlocked(penalty, NowMs, out _)))
            {
                state.State.Penalty = null;
            }
        }
        else if (state.State.RemoveWindow(window))
        {
            ForgetRule(window);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DrainAsync(string window, RateLimitRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        RateLimitWindowState windowState = state.State.Find(window, create: true)!;
        RateLimitEvaluator.Drain(windowState, rule, NowMs);
        RememberRule(window, rule);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task BlockAsync(long untilUnixMs, string reason)
    {
        RateLimitPenalties.Block(state.State.Penalty ??= new RateLimitPenaltyState(), untilUnixMs, reason);

        // A manual block must survive a crash of this silo, unlike window counts.
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task<bool> UnblockAsync()
    {
        if (state.State.Penalty is not { } penalty || !RateLimitPenalties.IsBlocked(penalty, NowMs, out _))
        {
            return false;
        }

        RateLimitPenalties.Unblock(penalty);
        await state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        long now = NowMs;
        if (IsIdle(now))
        {
            if (state.RecordExists)
            {
                await state.ClearStateAsync(cancellationToken);
            }
            else
            {
                state.State = new RateLimiterState();
            }
        }
    }

    private RateLimitCheckResult Check(RateLimitCheck check, long now)
    {
        RateLimitRule rule = check.Rule;
        if (IsBlocked(check, now, out RateLimitCheckResult blocked))
        {
            return blocked;
        }

        RateLimitWindowState windowState = state.State.Find(check.Window, create: true)!;
        RememberRule(check.Window, rule);
        RateLimitDecision decision = RateLimitEvaluator.Evaluate(windowState, rule, check.Cost, now);
        if (decision.Allowed)
        {
            bool near = check.Cost > 0 && decision.Remaining * 5 <= decision.Limit;
            return new RateLimitCheckResult(decision, near ? RateLimitOutcome.NearLimit : RateLimitOutcome.Allowed);
        }

        if (check.Shadow)
        {
            return new RateLimitCheckResult(decision with { Allowed = true, RetryAfterMs = 0 }, RateLimitOutcome.ShadowRejected);
        }

        RecordRejection(rule, now);
        return new RateLimitCheckResult(decision, RateLimitOutcome.Rejected);
    }

    // Decides on a copy of the window (one per window across a PeekMany, so checks see their predecessors); the
    // key's own state is only ever read, except for the penalty count of a refused check.
    private RateLimitCheckResult Peek(RateLimitCheck check, long now, Dictionary<string, RateLimitWindowState>? trials)
    {
        RateLimitRule rule = check.Rule;
        if (IsBlocked(check, now, out RateLimitCheckResult blocked))
        {
            return blocked;
        }

        RateLimitWindowState? current = state.State.Find(check.Window, create: false);
        RateLimitWindowState trial;
        if (trials is null)
        {
            // A lone peek decides and forgets: the thread's scratch copy, not one per peek of a thousand-check batch.
            trial = CopyInto(current, t_scratch ??= new RateLimitWindowState());
        }
        else if (!trials.TryGetValue(check.Window, out trial!))
        {
            trial = CopyInto(current, new RateLimitWindowState());
            trials.Add(check.Window, trial);
        }

        RateLimitDecision decision = RateLimitEvaluator.Evaluate(trial, rule, check.Cost, now);
        if (decision.Allowed)
        {
            // What the key has now, nothing taken (a peek never writes): the answer the caller gives when another
            // check sinks the batch. A key without the window is read through the scratch, reset to empty.
            RateLimitDecision untouched = RateLimitEvaluator.Evaluate(current ?? CopyInto(null, t_scratch ??= new RateLimitWindowState()), rule, 0, now);
            return new RateLimitCheckResult(untouched with { Allowed = true, RetryAfterMs = 0 }, RateLimitOutcome.Allowed);
        }

        if (check.Shadow)
        {
            return new RateLimitCheckResult(decision with { Allowed = true, RetryAfterMs = 0 }, RateLimitOutcome.ShadowRejected);
        }

        // The refusal is real (the caller reports it), so it counts as CheckAsync's would; peeks (cost 0) and
        // refunds never do, so looking before consuming cannot earn a block.
        if (check.Cost > 0)
        {
            RecordRejection(rule, now);
        }

        return new RateLimitCheckResult(decision, RateLimitOutcome.Rejected);
    }

    private bool IsBlocked(RateLimitCheck check, long now, out RateLimitCheckResult result)
    {
        RateLimitPenaltyState? penalty = state.State.Penalty;
        if (penalty is not null && check.Cost > 0 && RateLimitPenalties.IsBlocked(penalty, now, out long blockedForMs))
        {
            var blocked = new RateLimitDecision(check.Shadow, check.Rule.Limit, 0, blockedForMs, check.Shadow ? 0 : blockedForMs);
            result = new RateLimitCheckResult(blocked, check.Shadow ? RateLimitOutcome.ShadowRejected : RateLimitOutcome.Blocked, penalty.Reason ?? "penalty");
            return true;
        }

        result = default;
        return false;
    }

    private void RecordRejection(RateLimitRule rule, long now)
    {
        if (rule.Penalty is not { } penaltyRule)
        {
            return;
        }

        RateLimitPenaltyState penalty = state.State.Penalty ??= new RateLimitPenaltyState();
        bool wasBlocked = RateLimitPenalties.IsBlocked(penalty, now, out _);
        RateLimitPenalties.RecordRejection(penalty, penaltyRule, now);
        if (!wasBlocked && RateLimitPenalties.IsBlocked(penalty, now, out long blockMs))
        {
            ReportPenaltyBlock(now, blockMs, penalty.Reason ?? "penalty");
        }
    }

    private static RateLimitWindowState CopyInto(RateLimitWindowState? source, RateLimitWindowState target)
    {
        target.Algorithm = source?.Algorithm ?? default;
        target.Value = source?.Value ?? 0;
        target.Fraction = source?.Fraction ?? 0;
        target.Scale = source?.Scale ?? 0;
        target.TimeMs = source?.TimeMs ?? 0;
        target.Previous = source?.Previous ?? 0;
        return target;
    }

    // Peeks run synchronously within a turn, so one scratch window per thread is never shared by two at once.
    [ThreadStatic]
    private static RateLimitWindowState? t_scratch;

    private void ReportPenaltyBlock(long now, long blockMs, string reason)
    {
        string key = GetPrimaryKeyString();
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        string tenant = key[..slash];
        var block = new RateLimitBlock(key[(slash + 1)..], now + blockMs, reason, Penalty: true, CreatedUnixMs: now);

        // One-way: the index of blocks is for listing; the block itself is already in force here.
        _ = GrainFactory.GetGrain<IRateLimitPolicyGrain>(tenant).RecordPenaltyBlockAsync(block);
    }

    private bool IsIdle(long now)
    {
        RateLimiterState current = state.State;
        if (current.Penalty is { } penalty)
        {
            PenaltyRule? penaltyRule = current.Windows().Select(w => FindRule(w.Window)?.Penalty).FirstOrDefault(p => p is not null);
            bool hasHistory = penalty.Level > 0 || penalty.Rejections > 0;
            if ((hasHistory && penaltyRule is null) || !RateLimitPenalties.IsIdle(penalty, penaltyRule, now))
            {
                return false;
            }
        }

        foreach ((string window, RateLimitWindowState windowState) in current.Windows())
        {
            RateLimitRule? rule = FindRule(window);
            if (rule is null || !RateLimitEvaluator.IsIdle(windowState, rule, now))
            {
                return false;
            }
        }

        return true;
    }

    private RateLimitRule? FindRule(string window)
    {
        if (string.Equals(_firstRuleWindow, window, StringComparison.Ordinal))
        {
            return _firstRule;
        }

        return _otherRules is not null && _otherRules.TryGetValue(window, out RateLimitRule? rule) ? rule : null;
    }

    private void RememberRule(string window, RateLimitRule rule)
    {
        if (_firstRuleWindow is null || string.Equals(_firstRuleWindow, window, StringComparison.Ordinal))
        {
            _firstRuleWindow = window;
            _firstRule = rule;
            return;
        }

        (_otherRules ??= new Dictionary<string, RateLimitRule>(StringComparer.Ordinal))[window] = rule;
    }

    private void ForgetRule(string window)
    {
        if (string.Equals(_firstRuleWindow, window, StringComparison.Ordinal))
        {
            _firstRuleWindow = null;
            _firstRule = null;
        }
        else
        {
            _otherRules?.Remove(window);
        }
    }
}
