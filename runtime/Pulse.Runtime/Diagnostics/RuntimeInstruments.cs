using System.Diagnostics.Metrics;

namespace Pulse.Runtime.Diagnostics;

/// <summary>
/// Runtime metrics through <see cref="System.Diagnostics.Metrics"/>. Hot counters are striped per core
/// and read by observable instruments, so an unobserved meter costs
/// almost nothing on the call path.
/// </summary>
internal sealed class RuntimeInstruments : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Pulse.Runtime";

    private readonly Meter _meter;
    private readonly StripedCounter _requestsStarted = new();
    private long _activations;
    private long _deactivations;
    private Func<int>? _activationCount;

    public RuntimeInstruments(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("pulse.grain.requests", () => _requestsStarted.Sum(), description: "Grain requests started.");
        _meter.CreateObservableCounter("pulse.activations.created", () => Volatile.Read(ref _activations), description: "Activations that completed activation.");
        _meter.CreateObservableCounter("pulse.activations.deactivated", () => Volatile.Read(ref _deactivations), description: "Activations deactivated.");
        _meter.CreateObservableGauge("pulse.activations.count", () => _activationCount?.Invoke() ?? 0, description: "Activations in the catalog.");
    }

    public long RequestsStarted => _requestsStarted.Sum();

    public void OnRequestStarted() => _requestsStarted.Increment();

    public void OnActivated() => Interlocked.Increment(ref _activations);

    public void OnDeactivated() => Interlocked.Increment(ref _deactivations);

    public void ObserveActivationCount(Func<int> count) => _activationCount = count;

    public void Dispose() => _meter.Dispose();
}
