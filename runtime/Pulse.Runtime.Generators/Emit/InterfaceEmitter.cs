using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Pulse.Runtime.Generators.Model;

namespace Pulse.Runtime.Generators.Emit;

/// <summary>
/// Emits, for one grain interface, a static container class holding its request classes (one per
/// method), its proxy (the grain reference), the codec/copier that carries references of the
/// interface as arguments, and the <c>Register</c> method the module initializer calls.
/// </summary>
internal static class InterfaceEmitter
{
    private const string Invocation = "global::Pulse.Runtime.Invocation";
    private const string Serialization = "global::Pulse.Runtime.Serialization";

    public static string Emit(InterfaceModel model, string generatedNamespace)
    {
        CodeWriter w = CodeWriter.CreateFile();
        w.Open($"namespace {generatedNamespace}");
        w.Line($"/// <summary>Generated grain reference, requests and registration of <see cref=\"{model.FullName}\"/>.</summary>");
        w.Line(Names.GeneratedCodeAttribute);
        w.Open($"internal static class {model.ContainerName}");
        w.Line($"internal static readonly global::Pulse.Runtime.GrainType s_grainType = new global::Pulse.Runtime.GrainType({Names.Literal(model.Alias)});");
        w.Line();
        EmitRegistration(w, model);
        w.Line();
        EmitProxy(w, model);
        foreach (MethodModel method in model.Methods)
        {
            w.Line();
            EmitRequest(w, method);
        }

        w.Line();
        EmitReferenceCodec(w, model);
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void EmitRegistration(CodeWriter w, InterfaceModel model)
    {
        w.Open("internal static void Register()");
        w.Line($"{Invocation}.GeneratedCodeRegistry.RegisterGrainInterface(new {Invocation}.GrainInterfaceDescriptor(");
        w.Line($"    typeof({model.FullName}),");
        w.Line("    s_grainType,");
        w.Line("    CreateReference,");
        w.Line("    CreateRequest,");
        string methods = string.Join(", ", model.Methods.Select(m => m.RequestClassName + ".s_descriptor"));
        w.Line($"    new {Invocation}.GrainMethodDescriptor[] {{ {methods} }}));");
        w.Line("ReferenceCodec codec = new ReferenceCodec();");
        w.Line($"{Serialization}.CodecRegistry.RegisterCodec<{model.FullName}>(codec);");
        w.Line($"{Serialization}.CodecRegistry.RegisterCopier<{model.FullName}>(codec);");
        w.Close();
        w.Line();
        w.Line($"private static {Invocation}.GrainReference CreateReference(global::Pulse.Runtime.GrainId grainId, {Invocation}.IGrainCallInvoker invoker) =>");
        w.Line("    new Proxy(grainId, invoker);");
        w.Line();
        w.Open($"private static {Invocation}.GrainRequest? CreateRequest(uint methodId)");
        w.Open("switch (methodId)");
        foreach (MethodModel method in model.Methods)
        {
            w.Line($"case {Names.Hex(method.MethodId)}:");
            w.Line($"    return new {method.RequestClassName}();");
        }

        w.Line("default:");
        w.Line("    return null;");
        w.Close();
        w.Close();
    }

    private static void EmitProxy(CodeWriter w, InterfaceModel model)
    {
        w.Open($"internal sealed class Proxy : {Invocation}.GrainReference, {model.FullName}");
        w.Line($"public Proxy(global::Pulse.Runtime.GrainId grainId, {Invocation}.IGrainCallInvoker invoker)");
        w.Line("    : base(grainId, invoker)");
        w.Line("{");
        w.Line("}");
        foreach (MethodModel method in model.Methods)
        {
            w.Line();
            string parameters = string.Join(", ", method.Parameters.Select(p => $"{p.Type} {p.Name}"));
            w.Open($"{method.ReturnType} {method.DeclaringInterface}.{Names.Escape(method.Name)}({parameters})");
            w.Line($"{method.RequestClassName} __request = new {method.RequestClassName}();");
            foreach (ParameterModel parameter in method.Parameters)
            {
                w.Line(parameter.IsCancellationToken
                    ? $"__request.CancellationToken = {parameter.Name};"
                    : $"__request.{parameter.FieldName} = {parameter.Name};");
            }

            bool oneWay = (method.Options & 4) != 0;
            if (oneWay)
            {
                w.Line("Invoker.InvokeOneWay(this, __request);");
                w.Line(method.ReturnKind == ReturnKind.Task ? "return global::System.Threading.Tasks.Task.CompletedTask;" : "return default;");
            }
            else
            {
                w.Line(method.ReturnKind switch
                {
                    ReturnKind.Task => "return Invoker.InvokeVoidAsync(this, __request).AsTask();",
                    ReturnKind.ValueTask => "return Invoker.InvokeVoidAsync(this, __request);",
                    ReturnKind.TaskOfT => $"return Invoker.InvokeAsync<{method.ResultType}>(this, __request).AsTask();",
                    _ => $"return Invoker.InvokeAsync<{method.ResultType}>(this, __request);",
                });
            }

            w.Close();
        }

        w.Close();
    }

    private static void EmitRequest(CodeWriter w, MethodModel method)
    {
        List<ParameterModel> arguments = method.Parameters.Where(p => !p.IsCancellationToken).ToList();
        w.Line($"/// <summary>A call of <c>{Names.XmlEscape(method.Signature)}</c>.</summary>");
        w.Open($"internal sealed class {method.RequestClassName} : {Invocation}.GrainRequest<{method.ResultType}>");
        w.Line($"internal static readonly {Invocation}.GrainMethodDescriptor s_descriptor = new {Invocation}.GrainMethodDescriptor(");
        w.Line($"    s_grainType, typeof({method.DeclaringInterface}), {Names.Literal(method.Name)}, {Names.Hex(method.MethodId)}, ({Invocation}.InvokeMethodOptions){method.Options.ToString(CultureInfo.InvariantCulture)});");
        foreach (ParameterModel argument in arguments)
        {
            w.Line();
            w.Line($"public {argument.Type} {argument.FieldName} = default!;");
        }

        w.Line();
        w.Line($"public override {Invocation}.GrainMethodDescriptor Method => s_descriptor;");

        w.Line();
        w.Open($"public override void WriteArguments({Serialization}.PulseWriter writer)");
        foreach (ParameterModel argument in arguments)
        {
            w.Line($"{Serialization}.Codec<{argument.Type}>.Instance.WriteField(writer, {argument.FieldId.ToString(CultureInfo.InvariantCulture)}u, {argument.FieldName});");
        }

        w.Close();

        w.Line();
        w.Open($"public override void ReadArguments({Serialization}.PulseReader reader)");
        w.Open("while (!reader.IsAtEnd)");
        w.Line($"reader.ReadTag(out uint __id, out {Serialization}.WireType __wireType);");
        w.Open("switch (__id)");
        foreach (ParameterModel argument in arguments)
        {
            w.Line($"case {argument.FieldId.ToString(CultureInfo.InvariantCulture)}u:");
            w.Line($"    {argument.FieldName} = {Serialization}.Codec<{argument.Type}>.Instance.ReadValue(reader, __wireType);");
            w.Line("    break;");
        }

        w.Line("default:");
        w.Line("    reader.SkipField(__wireType);");
        w.Line("    break;");
        w.Close();
        w.Close();
        w.Close();

        w.Line();
        w.Open("public override void CopyArguments()");
        foreach (ParameterModel argument in arguments.Where(a => !a.IsImmutable))
        {
            w.Line($"{argument.FieldName} = {Serialization}.Copier<{argument.Type}>.Copy({argument.FieldName});");
        }

        w.Close();

        w.Line();
        string call = $"(({method.DeclaringInterface})grain).{Names.Escape(method.Name)}({string.Join(", ", method.Parameters.Select(p => p.IsCancellationToken ? "CancellationToken" : p.FieldName))})";
        w.Line($"protected override global::System.Threading.Tasks.ValueTask<{method.ResultType}> InvokeCoreAsync(object grain) =>");
        w.Line(method.ReturnKind switch
        {
            ReturnKind.TaskOfT => $"    new global::System.Threading.Tasks.ValueTask<{method.ResultType}>({call});",
            ReturnKind.ValueTaskOfT => $"    {call};",
            _ => $"    {Invocation}.InvocationHelpers.AsNoResult({call});",
        });
        w.Close();
    }

    private static void EmitReferenceCodec(CodeWriter w, InterfaceModel model)
    {
        string type = model.FullName;
        w.Line("/// <summary>Carries references of this interface as arguments: the grain key, resolved through the reader's grain factory.</summary>");
        w.Open($"private sealed class ReferenceCodec : {Serialization}.IFieldCodec<{type}>, {Serialization}.IDeepCopier<{type}>");
        w.Open($"public void WriteField({Serialization}.PulseWriter writer, uint fieldId, {type} value)");
        w.Open("if (value is null)");
        w.Line($"writer.WriteTag(fieldId, {Serialization}.WireType.Null);");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line("string key = value switch");
        w.Line("{");
        w.Line($"    {Invocation}.GrainReference reference => reference.GrainId.Key,");
        w.Line("    global::Pulse.Runtime.Grain grain => grain.GrainId.Key,");
        w.Line($"    _ => throw new {Serialization}.PulseSerializationException(\"A \" + {Names.Literal(model.Alias)} + \" argument is neither a grain reference nor a grain.\"),");
        w.Line("};");
        w.Line($"writer.WriteTag(fieldId, {Serialization}.WireType.LengthPrefixed);");
        w.Line("writer.WriteStringPayload(key);");
        w.Close();
        w.Line();
        w.Open($"public {type} ReadValue({Serialization}.PulseReader reader, {Serialization}.WireType wireType)");
        w.Open($"if (wireType == {Serialization}.WireType.Null)");
        w.Line("return default!;");
        w.Close();
        w.Line();
        w.Open($"if (wireType != {Serialization}.WireType.LengthPrefixed)");
        w.Line($"{Serialization}.PulseReader.ThrowUnexpectedWireType({Names.Literal(model.Alias)}, wireType);");
        w.Close();
        w.Line();
        w.Line("string key = reader.ReadStringPayload();");
        w.Line("global::Pulse.Runtime.IGrainFactory factory = reader.GrainFactory");
        w.Line($"    ?? throw new {Serialization}.PulseSerializationException(\"Cannot read a grain reference: the reader has no grain factory.\");");
        w.Line($"return factory.GetGrain<{type}>(key);");
        w.Close();
        w.Line();
        w.Line("// References are immutable (id, invoker) pairs, so a copy is the same reference.");
        w.Line($"public {type} DeepCopy({type} value) => value;");
        w.Close();
    }
}
