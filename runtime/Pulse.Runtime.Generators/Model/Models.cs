using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Pulse.Runtime.Generators.Model;

/// <summary>
/// A source location kept as plain values: <see cref="Location"/> holds on to syntax trees, which
/// would keep whole compilations alive in the incremental cache and break equality.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}

/// <summary>A diagnostic to report, as an equatable value.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic()
    {
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        return Diagnostic.Create(Descriptor, Location?.ToLocation(), args);
    }
}

/// <summary>How a grain method returns, which decides how the proxy and the request adapt it.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>One parameter of a grain method.</summary>
/// <param name="Name">The parameter name, escaped if it is a keyword.</param>
/// <param name="Type">The fully qualified type with nullable annotations.</param>
/// <param name="FieldName">The request field holding it; empty for a cancellation token.</param>
/// <param name="FieldId">The wire id (argument index without cancellation tokens).</param>
internal sealed record ParameterModel(string Name, string Type, bool IsCancellationToken, bool IsImmutable, string FieldName, uint FieldId);

/// <summary>One grain method as seen from the interface a reference is generated for.</summary>
internal sealed record MethodModel(
    string Name,
    string DeclaringInterface,
    ReturnKind ReturnKind,
    string ReturnType,
    string ResultType,
    uint MethodId,
    string Signature,
    int Options,
    string RequestClassName,
    EquatableArray<ParameterModel> Parameters);

/// <summary>A grain interface and everything needed to emit its requests, proxy and reference codec.</summary>
internal sealed record InterfaceModel(
    string FullName,
    string ContainerName,
    string Alias,
    LocationInfo? Location,
    EquatableArray<MethodModel> Methods,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Count > 0;
}

/// <summary>A grain class: its interfaces and how to construct it.</summary>
internal sealed record GrainClassModel(
    string FullName,
    string ContainerName,
    EquatableArray<string> Interfaces,
    EquatableArray<string> ConstructorArguments,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Count > 0;
}

/// <summary>How the generated codec and copier give a member its value.</summary>
internal enum MemberAssignment
{
    /// <summary>Passed to the chosen constructor.</summary>
    Constructor,

    /// <summary>Set in the object initializer (init-only or required members).</summary>
    Initializer,

    /// <summary>Assigned after construction, only when the input held it (keeps field initializers).</summary>
    Settable,
}

/// <summary>One [Id] member of a serializable type.</summary>
internal sealed record SerializerMemberModel(uint Id, string Name, string Type, bool IsImmutable, MemberAssignment Assignment);

/// <summary>A [GenerateSerializer] type.</summary>
/// <param name="ConstructorMembers">Member names in the order of the chosen constructor's parameters.</param>
internal sealed record SerializerModel(
    string FullName,
    string DisplayName,
    string ContainerName,
    bool IsValueType,
    bool IsAbstract,
    bool IsImmutable,
    EquatableArray<SerializerMemberModel> Members,
    EquatableArray<string> ConstructorMembers,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Count > 0;
}
