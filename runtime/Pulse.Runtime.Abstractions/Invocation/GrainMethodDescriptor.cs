namespace Pulse.Runtime.Invocation;

/// <summary>Describes one grain interface method; one static instance per generated request type.</summary>
public sealed class GrainMethodDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    public GrainMethodDescriptor(GrainType grainType, Type interfaceType, string methodName, uint methodId, InvokeMethodOptions options)
    {
        GrainType = grainType;
        InterfaceType = interfaceType;
        MethodName = methodName;
        MethodId = methodId;
        Options = options;
        FullName = $"{interfaceType.Name}.{methodName}";
    }

    /// <summary>The grain type (interface alias) the method belongs to.</summary>
    public GrainType GrainType { get; }

    /// <summary>The grain interface.</summary>
    public Type InterfaceType { get; }

    /// <summary>The method name.</summary>
    public string MethodName { get; }

    /// <summary><c>Interface.Method</c>, for logs and statistics.</summary>
    public string FullName { get; }

    /// <summary>
    /// Stable id of the method within its interface: the <see cref="StableHash"/> of its name and
    /// parameter types, so it survives reordering of methods across versions.
    /// </summary>
    public uint MethodId { get; }

    /// <summary>Call semantics.</summary>
    public InvokeMethodOptions Options { get; }

    /// <summary>Whether calls may interleave with anything.</summary>
    public bool AlwaysInterleave => (Options & InvokeMethodOptions.AlwaysInterleave) != 0;

    /// <summary>Whether the method is read-only.</summary>
    public bool ReadOnly => (Options & InvokeMethodOptions.ReadOnly) != 0;

    /// <summary>Whether the call is one-way.</summary>
    public bool OneWay => (Options & InvokeMethodOptions.OneWay) != 0;

    /// <summary>Whether the call may be retried.</summary>
    public bool Idempotent => (Options & InvokeMethodOptions.Idempotent) != 0;

    /// <summary>
    /// Whether calls may travel in a <c>GrainCallBundle</c>: neither one-way nor returning a <see cref="Task"/>.
    /// The invoker also leaves out calls without a result, whose <see cref="ValueTask"/> wraps a task.
    /// </summary>
    public bool Bundleable => (Options & (InvokeMethodOptions.OneWay | InvokeMethodOptions.ReturnsTask)) == 0;

    public override string ToString() => FullName;
}
