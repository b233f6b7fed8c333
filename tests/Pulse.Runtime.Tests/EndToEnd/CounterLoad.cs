using System.Collections.Concurrent;
using System.Diagnostics;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>
/// Callers that keep incrementing persistent counters (one write per call) and remember, per key, how
/// many increments were acknowledged, how many calls failed (those may or may not have been applied),
/// the highest value a call returned, and when calls last failed and succeeded. Keys are new (the
/// prefix must be unique), so every counter starts at 0.
/// </summary>
public sealed class CounterLoad : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly string[] _keys;
    private readonly ConcurrentDictionary<string, KeyRecord> _records = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _failures;
    private long _successes;

    public CounterLoad(IGrainFactory grains, string prefix, int keyCount, int workers)
    {
        _grains = grains;
        _keys = Enumerable.Range(0, keyCount).Select(i => $"{prefix}-{i}").ToArray();
        foreach (string key in _keys)
        {
            _records[key] = new KeyRecord();
        }

        for (int worker = 0; worker < workers; worker++)
        {
            string[] mine = _keys.Where((_, i) => i % workers == worker).ToArray();
            _workers.Add(Task.Run(() => RunAsync(mine)));
        }
    }

    public IReadOnlyList<string> Keys => _keys;

    public long Failures => Interlocked.Read(ref _failures);

    public long Successes => Interlocked.Read(ref _successes);

    /// <summary>Milliseconds since the load started, the time base of the records.</summary>
    public long Now => _clock.ElapsedMilliseconds;

    /// <summary>The errors seen, for failure messages.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Keys whose most recent call failed, or which had no success since <paramref name="sinceMs"/>.</summary>
    public IReadOnlyList<string> KeysNotSucceedingSince(long sinceMs) =>
        _records.Where(pair => pair.Value.LastSuccessStartMs < sinceMs || pair.Value.LastFailureEndMs > pair.Value.LastSuccessStartMs)
            .Select(pair => pair.Key)
            .ToList();

    /// <summary>Keys with a failed call that ended after <paramref name="sinceMs"/>.</summary>
    public IReadOnlyList<string> KeysFailedSince(long sinceMs) =>
        _records.Where(pair => pair.Value.LastFailureEndMs >= sinceMs).Select(pair => pair.Key).ToList();

    /// <summary>The highest acknowledged value per key.</summary>
    public IReadOnlyDictionary<string, int> Acknowledged => _records.ToDictionary(pair => pair.Key, pair => pair.Value.Acknowledged);

    /// <summary>
    /// Reads every counter through <paramref name="grains"/> (after <see cref="StopAsync"/>) and describes
    /// each whose value the calls cannot explain: below the acknowledged increments or the highest value
    /// a call returned (an acknowledged write was lost, even if later writes raised the value again), or
    /// above the acknowledged increments plus the failed calls (an increment was applied twice).
    /// </summary>
    public async Task<IReadOnlyList<string>> FindUnexplainedValuesAsync(IGrainFactory grains)
    {
        List<string> unexplained = [];
        foreach ((string key, KeyRecord record) in _records)
        {
            int stored = await grains.GetGrain<ICounterGrain>(key).GetAsync();
            int least = Math.Max(record.AcknowledgedIncrements, record.Acknowledged);
            int most = record.AcknowledgedIncrements + record.Unknown;
            if (stored < least || stored > most)
            {
                unexplained.Add($"{key}: {stored} is stored, but {record.AcknowledgedIncrements} increments were acknowledged " +
                    $"(the highest value returned was {record.Acknowledged}) and {record.Unknown} failed calls may have been applied");
            }
        }

        return unexplained;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(string[] keys)
    {
        int next = 0;
        while (!_stop.IsCancellationRequested)
        {
            string key = keys[next++ % keys.Length];
            KeyRecord record = _records[key];
            long started = Now;
            try
            {
                int value = await _grains.GetGrain<ICounterGrain>(key).AddAndWriteAsync(1);
                lock (record)
                {
                    record.Acknowledged = Math.Max(record.Acknowledged, value);
                    record.AcknowledgedIncrements++;
                    record.LastSuccessStartMs = Math.Max(record.LastSuccessStartMs, started);
                }

                Interlocked.Increment(ref _successes);
            }
            catch (Exception exception)
            {
                lock (record)
                {
                    record.LastFailureEndMs = Now;

                    // A failure does not say whether the increment was applied: the call may have run (its
                    // silo died before answering, or the write failed after the increment in memory).
                    record.Unknown++;
                }

                Interlocked.Increment(ref _failures);
                if (Errors.Count < 20)
                {
                    Errors.Enqueue($"{Now} ms {key}: {exception.GetType().Name}: {exception.Message}");
                }
            }

            // Paces the callers (a few hundred calls a second in all) so silos and PostgreSQL on 2 cores keep up.
            await Task.Delay(5);
        }
    }

    private sealed class KeyRecord
    {
        public int Acknowledged;
        public int AcknowledgedIncrements;
        public int Unknown;
        public long LastSuccessStartMs = -1;
        public long LastFailureEndMs = -1;
    }
}
