package io.transformers4j.weights;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The tensor element types of safetensors and PyTorch checkpoints, with their names in each world.
 *
 * <p>DJL's typed API has no usable bfloat16 or int16 (creating one kills the JVM, see NOTES-DJL.md): for those
 * {@link #djl()} returns null and tensors go through {@link io.transformers4j.torch.Torch}'s bridge instead.
 */
public enum DType {
    F64("F64", "float64", 8, DataType.FLOAT64),
    F32("F32", "float32", 4, DataType.FLOAT32),
    F16("F16", "float16", 2, DataType.FLOAT16),
    BF16("BF16", "bfloat16", 2, null),
    I64("I64", "int64", 8, DataType.INT64),
    I32("I32", "int32", 4, DataType.INT32),
    I16("I16", "int16", 2, null),
    I8("I8", "int8", 1, DataType.INT8),
    U8("U8", "uint8", 1, DataType.UINT8),
    BOOL("BOOL", "bool", 1, DataType.BOOLEAN);

    private final String safetensorsName;
    private final String torchName;
    private final int byteSize;
    private final DataType djl;

    DType(String safetensorsName, String torchName, int byteSize, DataType djl) {
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
        this.byteSize = byteSize;
        this.djl = djl;
    }

    /** The dtype string of a safetensors header ("F32", "BF16", ...). */
    public String safetensorsName() { return safetensorsName; }

    /** The name without the {@code torch.} prefix, as config.json's {@code torch_dtype} writes it. */
    public String torchName() { return torchName; }

    public int byteSize() { return byteSize; }

    /** DJL's data type, or null where DJL cannot hold it safely (BF16, I16). */
    public DataType djl() { return djl; }

    public boolean isFloatingPoint() { return this == F64 || this == F32 || this == F16 || this == BF16; }

    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("Unknown safetensors dtype '" + name + "' (known: F64, F32, F16, BF16, I64, "
                + "I32, I16, I8, U8, BOOL)");
    }

    /** Parses "float32", "torch.float16", "bf16", "fp16", "half", ... */
    public static DType fromTorchName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("torch.", "");
        switch (n) {
            case "float32": case "float": case "fp32": case "f32": return F32;
            case "float16": case "half": case "fp16": case "f16": return F16;
            case "bfloat16": case "bf16": return BF16;
            case "float64": case "double": case "f64": return F64;
            case "int64": case "long": return I64;
            case "int32": case "int": return I32;
            case "int16": case "short": return I16;
            case "int8": return I8;
            case "uint8": return U8;
            case "bool": return BOOL;
            default:
                throw new IllegalArgumentException("Unknown dtype '" + name
                        + "' (expected float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8 or bool)");
        }
    }

    public static DType fromDjl(DataType t) {
        for (DType d : values()) {
            if (d.djl == t) {
                return d;
            }
        }
        if (t == DataType.BFLOAT16) {
            return BF16;
        }
        if (t == DataType.INT16) {
            return I16;
        }
        throw new IllegalArgumentException("No checkpoint dtype for DJL type " + t);
    }
}
