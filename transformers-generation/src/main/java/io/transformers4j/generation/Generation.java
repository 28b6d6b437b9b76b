package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code generate()}: Python's {@code GenerationMixin.generate} (generation/utils.py, 4.39). Prepares the generation
 * config (model default, then the call's overrides), the model inputs (attention mask, encoder outputs, decoder start
 * tokens), the length limits, the processors and stopping criteria, then runs the strategy the config selects:
 * {@link GreedySearch greedy / sample}, {@link ContrastiveSearch contrastive}, {@link BeamSearch beam / beam sample},
 * {@link GroupBeamSearch group beam}, {@link ConstrainedBeamSearch constrained beam}, {@link AssistedDecoding
 * assisted}.
 *
 * <p>The returned output's tensors belong to the manager of the first tensor passed in (the inputs); close the output
 * to free them. Everything else the call creates is freed before it returns.
 */
public final class Generation {
    private static final Logger LOG = LoggerFactory.getLogger(Generation.class);

    private Generation() {}

    /**
     * generate() on any model: refuses, with Python's message, a model that has no language-modelling head (naming the
     * classes of its family that do).
     */
    public static GenerateOutput generate(PreTrainedModel model, GenerateArgs args) {
        return generate(requireGenerationModel(model), args);
    }

    /** Python's {@code _validate_model_class}: the model as a {@link GenerationModel}, or Python's TypeError text. */
    public static GenerationModel requireGenerationModel(PreTrainedModel model) {
        if (model instanceof GenerationModel g) {
            return g;
        }
        Set<String> compatible = new LinkedHashSet<>();
        try {
            ModelFamily family = ModelRegistry.family(model.config().modelType());
            for (AutoTask task : List.of(AutoTask.CAUSAL_LM, AutoTask.SEQ2SEQ_LM, AutoTask.SPEECH_SEQ2SEQ,
                    AutoTask.VISION2SEQ)) {
                ModelClass<?, ?> c = family.autoClasses().get(task);
                if (c != null) {
                    compatible.add(c.name());
                }
            }
        } catch (IllegalArgumentException e) {
            // an unregistered family: no suggestion
        }
        String msg = "The current model class (" + model.getClass().getSimpleName() + ") is not compatible with "
                + "`.generate()`, as it doesn't have a language model head.";
        if (!compatible.isEmpty()) {
            msg += " Please use one of the following classes instead: " + GenUtil.pySet(compatible);
        }
        throw new UnsupportedOperationException(msg);
    }

    /** Python's {@code model.generate(...)}. */
    public static GenerateOutput generate(GenerationModel model, GenerateArgs args) {
        Torch.ensureThreadReady();
        NDManager caller = callerManager(args);
        GenerateOutput out;
        Object userCache = args.kwargs().get("past_key_values");
        try (NDManager work = caller.newSubManager()) {
            out = run(model, args, work, userCache);
            attachOutput(out, caller);
        }
        return out;
    }

    // ---------------------------------------------------------------- the body of generate()

    private static GenerateOutput run(GenerationModel model, GenerateArgs args, NDManager work, Object userCache) {
        // 1. the generation config: the call's (or the model's), updated with the call's kwargs
        GenerationConfig base = args.generationConfig() != null ? args.generationConfig() : model.generationConfig();
        Map<String, Object> configKwargs = new LinkedHashMap<>();
        Map<String, Object> modelKwargs = new LinkedHashMap<>();
        args.kwargs().forEach((k, v) -> {
            if (base.has(k) || k.equals("constraints")) {
                configKwargs.put(k, v);
            } else {
                modelKwargs.put(k, v);
            }
        });
        GenerationConfig config = configKwargs.isEmpty() ? base : base.update(configKwargs).config();
        validateModelKwargs(model, modelKwargs);

        LogitsProcessorList customProcessors = args.logitsProcessor() != null ? args.logitsProcessor()
                : new LogitsProcessorList();
        StoppingCriteriaList customCriteria = args.stoppingCriteria() != null ? args.stoppingCriteria()
                : new StoppingCriteriaList();

        // 2. pad_token_id defaults to eos_token_id
        if (config.padTokenId() == null && config.eosTokenId() != null) {
            if (modelKwargs.get("attention_mask") == null) {
                LOG.warn("The attention mask and the pad token id were not set. As a consequence, you may observe "
                        + "unexpected behavior. Please pass your input's `attention_mask` to obtain reliable results.");
            }
            int eos = config.eosTokenId().get(0);
            LOG.warn("Setting `pad_token_id` to `eos_token_id`:{} for open-end generation.", eos);
            config = config.withAdjusted("pad_token_id", eos);
        }

        // Every tensor the call uses is copied into `work`: generate() replaces and closes its loop state, and the
        // caller's tensors must survive the call.
        NDArray inputs = copyIn(args.inputs(), work);
        ModelKwargs kw = new ModelKwargs();
        NDArray kwInputIds = null;
        NDArray decoderInputIds = null;
        String inputName = model.mainInputName();
        NDArray kwMainInput = null;
        for (Map.Entry<String, Object> e : modelKwargs.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (k.equals(inputName)) {
                kwMainInput = copyIn(tensor(k, v), work);
            } else if (k.equals("input_ids")) {
                kwInputIds = copyIn(tensor(k, v), work);
            } else if (k.equals("decoder_input_ids")) {
                decoderInputIds = copyIn(tensor(k, v), work);
            } else if (k.equals("past_key_values")) {
                kw.pastKeyValues(copyCacheIn(v, work));
            } else if (k.equals("encoder_outputs")) {
                if (!(v instanceof EncoderOutput enc)) {
                    throw new IllegalArgumentException("`encoder_outputs` must be an EncoderOutput, got "
                            + v.getClass().getSimpleName());
                }
                kw.encoderOutputs(new EncoderOutput(copyIn(enc.lastHiddenState(), work), enc.hiddenStates(),
                        enc.attentions()));
            } else if (k.equals("cache_position")) {
                kw.cachePosition(copyIn(tensor(k, v), work));
            } else {
                kw.setTensor(k, copyIn(tensor(k, v), work));
            }
        }

        // 3. _prepare_model_inputs
        if (kwMainInput != null && inputs != null) {
            throw new IllegalArgumentException("`inputs`: " + inputs + "` were passed alongside " + inputName
                    + " which is not allowed. Make sure to either pass " + inputs + " or " + inputName + "=...");
        } else if (kwMainInput != null) {
            inputs = kwMainInput;
        }
        if (inputName.equals("input_ids") && kwInputIds != null && inputs == null) {
            inputs = kwInputIds;
            kwInputIds = null;
        }
        String modelInputName = inputName;
        if (inputName.equals("input_ids") && kw.inputsEmbeds() != null) {
            if (!model.isEncoderDecoder()) {
                Set<String> accepted = model.modelKwargNames();
                if (accepted != null && !accepted.contains("inputs_embeds")) {
                    throw new IllegalArgumentException("You passed `inputs_embeds` to `.generate()`, but the model "
                            + "class " + model.modelClassName() + " doesn't have its forwarding implemented. See the "
                            + "GPT2 implementation for an example (https://github.com/huggingface/transformers/pull/"
                            + "21405), and feel free to open a PR with it!");
                }
                kwInputIds = maybeInitializeInputIds(model, inputs, config.bosTokenId(), kw, work);
            } else if (inputs != null) {
                throw new IllegalArgumentException("You passed `inputs_embeds` and `input_ids` to `.generate()`. "
                        + "Please pick one.");
            }
            inputs = kw.inputsEmbeds();
            modelInputName = "inputs_embeds";
        }
        inputs = maybeInitializeInputIds(model, inputs, config.bosTokenId(), kw, work);
        int batchSize = (int) inputs.getShape().get(0);

        // 4. other model kwargs
        kw.outputAttentions(config.outputAttentions());
        kw.outputHiddenStates(config.outputHiddenStates());
        kw.useCache(!model.isEncoderDecoder() && modelInputName.equals("inputs_embeds") || config.useCache());
        boolean requiresAttentionMask = kw.encoderOutputs() == null;
        if (kw.attentionMask() == null && requiresAttentionMask && model.acceptsAttentionMask()) {
            kw.attentionMask(prepareAttentionMaskForGeneration(inputs, config.padTokenId(), config.eosTokenId()));
        }
        if (!model.isEncoderDecoder() && config.padTokenId() != null && inputs.getShape().dimension() == 2
                && isInteger(inputs) && inputs.getShape().get(1) > 0) {
            long[] last = GenerationContext.longs(inputs.get(new NDIndex(":, -1")));
            for (long t : last) {
                if (t == config.padTokenId()) {
                    LOG.warn("A decoder-only architecture is being used, but right-padding was detected! For correct "
                            + "generation results, please set `padding_side='left'` when initializing the tokenizer.");
                    break;
                }
            }
        }
        if (model.isEncoderDecoder() && kw.encoderOutputs() == null) {
            kw.encoderOutputs(encode(model, inputs, modelInputName, kw, work));
        }

        // 5. the input_ids generation continues
        NDArray inputIds;
        if (model.isEncoderDecoder()) {
            inputIds = prepareDecoderInputIds(model, batchSize, modelInputName, kw, decoderInputIds, kwInputIds,
                    config.decoderStartTokenId(), config.decoderStartTokenIdIsList(), config.bosTokenId(), work);
        } else {
            if (modelInputName.equals("input_ids")) {
                inputIds = inputs;
            } else if (kwInputIds != null) {
                inputIds = kwInputIds;
            } else {
                throw new IllegalArgumentException(model.modelClassName() + ".generate() needs `input_ids` besides `"
                        + modelInputName + "`");
            }
        }
        if (args.streamer() != null) {
            args.streamer().put(inputIds);
        }

        // 6. max_length from max_new_tokens
        int inputIdsLength = (int) inputIds.getShape().get(inputIds.getShape().dimension() - 1);
        boolean hasDefaultMaxLength = args.kwargs().get("max_length") == null && config.maxLength() != null;
        if (config.maxNewTokens() != null) {
            if (!hasDefaultMaxLength && config.maxLength() != null) {
                LOG.warn("Both `max_new_tokens` (={}) and `max_length`(={}) seem to have been set. `max_new_tokens` "
                        + "will take precedence. Please refer to the documentation for more information. "
                        + "(https://huggingface.co/docs/transformers/main/en/main_classes/text_generation)",
                        config.maxNewTokens(), config.maxLength());
            }
            config = config.withAdjusted("max_length", config.maxNewTokens() + inputIdsLength);
        } else if (modelInputName.equals("inputs_embeds") && !model.isEncoderDecoder()
                && !inputs.getShape().slice(0, inputs.getShape().dimension() - 1).equals(inputIds.getShape())) {
            long embedsLen = inputs.getShape().get(1);
            config = config.withAdjusted("max_length", (int) (config.maxLength() - embedsLen));
            config = config.withAdjusted("min_length", (int) Math.max(config.minLength() - embedsLen, 0));
        }

        Object createdCache = null;
        if ("static".equals(config.cacheImplementation())) {
            if (kw.pastKeyValues() != null) {
                throw new IllegalArgumentException("Using `past_key_values` argument with `generate()` when using a "
                        + "static KV cache is not supported. Please open an issue in Transformers GitHub repository.");
            }
            createdCache = model.newCache("static", batchSize, config.maxLength());
            kw.pastKeyValues(createdCache);
        }

        validateGeneratedLength(model, config, inputIdsLength, hasDefaultMaxLength);

        // 7. the generation mode
        GenerationMode mode = config.generationMode(args.assistantModel() != null);
        if (args.streamer() != null && config.numBeams() > 1) {
            throw new IllegalArgumentException("`streamer` cannot be used with beam search (yet!). Make sure that "
                    + "`num_beams` is set to 1.");
        }

        // 8. processors; 9. stopping criteria
        UnbatchedClassifierFreeGuidanceLogitsProcessor.Model guidanceModel = guidanceModel(model, kw.useCache());
        GenerationProcessors.ProcessorInputs processorInputs = GenerationProcessors.ProcessorInputs
                .of(inputIdsLength, inputs)
                .withPrefixAllowedTokensFn(args.prefixAllowedTokensFn())
                .withLogitsProcessor(customProcessors)
                .withGuidanceModel(guidanceModel, copyIn(args.negativePromptIds(), work),
                        copyIn(args.negativePromptAttentionMask(), work), kw.useCache());
        LogitsProcessorList processors = GenerationProcessors.getLogitsProcessor(config, processorInputs);
        StoppingCriteriaList criteria = GenerationProcessors.getStoppingCriteria(config, model.maxPositionEmbeddings(),
                customCriteria);

        Random random = args.random() != null ? args.random() : new Random();
        GenerationContext ctx = new GenerationContext(model, config, work, kw, processors, criteria, args.streamer(),
                random);
        GenerateOutput out;
        try {
            out = dispatch(ctx, mode, inputIds, batchSize, inputs, args, customProcessors);
        } catch (RuntimeException | Error e) {
            if (createdCache instanceof AutoCloseable c) {
                closeQuietly(c);
            }
            throw e;
        } finally {
            // the processors generate() made (classifier-free guidance holds a cache); the caller's stay open
            for (LogitsProcessor p : processors) {
                if (p instanceof AutoCloseable c && customProcessors.stream().noneMatch(q -> q == p)) {
                    closeQuietly(c);
                }
            }
        }
        // Python's _reset_cache for the static cache; a cache generate() made and does not return is closed
        Object finalCache = out.pastKeyValues();
        Object lastCache = kw.pastKeyValues();
        if (lastCache instanceof Cache c && lastCache != finalCache && lastCache != userCache) {
            c.close();
        }
        if (createdCache instanceof AutoCloseable c && createdCache != finalCache && createdCache != lastCache) {
            closeQuietly(c);
        }
        return out;
    }

    private static GenerateOutput dispatch(GenerationContext ctx, GenerationMode mode, NDArray inputIds,
            int batchSize, NDArray inputsTensor, GenerateArgs args, LogitsProcessorList customProcessors) {
        GenerationConfig config = ctx.config;
        boolean encDec = ctx.model.isEncoderDecoder();
        switch (mode) {
            case ASSISTED_GENERATION: {
                if (config.numReturnSequences() > 1) {
                    throw new IllegalArgumentException("num_return_sequences has to be 1 when doing assisted generate, "
                            + "but is " + config.numReturnSequences() + ".");
                }
                if (batchSize > 1) {
                    throw new IllegalArgumentException("assisted generate is only supported for batch_size = 1");
                }
                if (!ctx.kwargs.useCache()) {
                    throw new IllegalArgumentException("assisted generate requires `use_cache=True`");
                }
                CandidateGenerator candidates = config.promptLookupNumTokens() != null
                        ? new PromptLookupCandidateGenerator(config.promptLookupNumTokens(),
                                config.maxMatchingNgramSize())
                        : new AssistedCandidateGenerator(inputIds, args.assistantModel(), config, customProcessors,
                                ctx.kwargs, inputsTensor);
                LogitsProcessorList warper = config.doSample() ? GenerationProcessors.getLogitsWarper(config) : null;
                return AssistedDecoding.run(ctx, inputIds, candidates, config.doSample(), warper);
            }
            case GREEDY_SEARCH:
                return GreedySearch.run(ctx, inputIds, null);
            case CONTRASTIVE_SEARCH:
                if (!ctx.kwargs.useCache()) {
                    throw new IllegalArgumentException("Contrastive search requires `use_cache=True`");
                }
                return ContrastiveSearch.run(ctx, inputIds, config.topK(), config.penaltyAlpha(),
                        Boolean.TRUE.equals(config.lowMemory()));
            case SAMPLE: {
                LogitsProcessorList warper = GenerationProcessors.getLogitsWarper(config);
                NDArray ids = expandInputsForGeneration(ctx, inputIds, config.numReturnSequences(), encDec);
                return GreedySearch.run(ctx, ids, warper);
            }
            case BEAM_SEARCH:
            case BEAM_SAMPLE: {
                LogitsProcessorList warper = mode == GenerationMode.BEAM_SAMPLE
                        ? GenerationProcessors.getLogitsWarper(config) : null;
                BeamSearchScorer scorer = new BeamSearchScorer(batchSize, config.numBeams(), lengthPenalty(config),
                        config.earlyStopping(), config.numReturnSequences(), 1, config.maxLength());
                NDArray ids = expandInputsForGeneration(ctx, inputIds, config.numBeams(), encDec);
                return BeamSearch.run(ctx, ids, scorer, batchSize, config.numBeams(), warper);
            }
            case GROUP_BEAM_SEARCH: {
                BeamSearchScorer scorer = new BeamSearchScorer(batchSize, config.numBeams(), lengthPenalty(config),
                        config.earlyStopping(), config.numReturnSequences(), config.numBeamGroups(),
                        config.maxLength());
                NDArray ids = expandInputsForGeneration(ctx, inputIds, config.numBeams(), encDec);
                return GroupBeamSearch.run(ctx, ids, scorer, batchSize, config.numBeams(), config.numBeamGroups());
            }
            case CONSTRAINED_BEAM_SEARCH: {
                List<Constraint> constraints = GenerationProcessors.finalConstraints(config);
                ConstrainedBeamSearchScorer scorer = new ConstrainedBeamSearchScorer(batchSize, config.numBeams(),
                        constraints, lengthPenalty(config), config.earlyStopping(), config.numReturnSequences(), 1,
                        config.maxLength());
                NDArray ids = expandInputsForGeneration(ctx, inputIds, config.numBeams(), encDec);
                return ConstrainedBeamSearch.run(ctx, ids, scorer, batchSize, config.numBeams());
            }
            default:
                throw new IllegalStateException("unknown generation mode " + mode);
        }
    }

    private static double lengthPenalty(GenerationConfig config) {
        return config.lengthPenalty() == null ? 1.0 : config.lengthPenalty();
    }

    // ---------------------------------------------------------------- input preparation (Python's helpers)

    /** Python's {@code _validate_model_kwargs}. */
    private static void validateModelKwargs(GenerationModel model, Map<String, Object> modelKwargs) {
        Object past = modelKwargs.get("past_key_values");
        if (past instanceof Cache && !model.supportsCacheClass()) {
            throw new IllegalArgumentException(model.modelClassName() + " does not support an instance of `Cache` as "
                    + "`past_key_values`. Please check the model documentation for supported cache formats.");
        }
        Set<String> accepted = model.modelKwargNames();
        if (accepted == null) {
            return;
        }
        List<String> unused = new ArrayList<>();
        for (Map.Entry<String, Object> e : modelKwargs.entrySet()) {
            String k = e.getKey();
            if (model.isEncoderDecoder() && k.equals("decoder_input_ids")) {
                continue;
            }
            if (e.getValue() != null && !accepted.contains(k) && !k.equals(model.mainInputName())) {
                unused.add(k);
            }
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("The following `model_kwargs` are not used by the model: "
                    + GenUtil.pyRepr(unused) + " (note: typos in the generate arguments will also show up in this "
                    + "list)");
        }
    }

    /** Python's {@code _maybe_initialize_input_ids_for_generation}. */
    private static NDArray maybeInitializeInputIds(GenerationModel model, NDArray inputs, Integer bosTokenId,
            ModelKwargs kw, NDManager work) {
        if (inputs != null) {
            return inputs;
        }
        EncoderOutput enc = kw.encoderOutputs();
        if (model.isEncoderDecoder() && enc != null) {
            // dummy input_ids of -100: a sanity check that they are never encoded
            Shape s = enc.lastHiddenState().getShape();
            return filled(work, s.slice(0, s.dimension() - 1), -100L);
        }
        if (bosTokenId == null) {
            throw new IllegalArgumentException("`bos_token_id` has to be defined when no `input_ids` are provided.");
        }
        long batchSize = 1;
        for (NDArray t : kw.expandableTensors().values()) {
            batchSize = t.getShape().get(0);
            break;
        }
        if (kw.inputsEmbeds() != null) {
            return work.zeros(new Shape(batchSize, 0), DataType.INT64);
        }
        return filled(work, new Shape(batchSize, 1), bosTokenId);
    }

    /** Python's {@code _prepare_attention_mask_for_generation}. */
    static NDArray prepareAttentionMaskForGeneration(NDArray inputs, Integer padTokenId, List<Integer> eosTokenId) {
        boolean isInputIds = inputs.getShape().dimension() == 2 && isInteger(inputs);
        boolean padInInputs = false;
        if (padTokenId != null && isInputIds) {
            for (long t : GenerationContext.longs(inputs)) {
                if (t == padTokenId) {
                    padInInputs = true;
                    break;
                }
            }
        }
        boolean padNotEos = eosTokenId == null || !eosTokenId.contains(padTokenId);
        if (isInputIds && padInInputs && padNotEos) {
            return inputs.neq(padTokenId).toType(DataType.INT64, false);
        }
        Shape s = inputs.getShape();
        return inputs.getManager().ones(s.slice(0, Math.min(2, s.dimension())), DataType.INT64);
    }

    /** Python's {@code _prepare_encoder_decoder_kwargs_for_generation}: runs the encoder once. */
    private static EncoderOutput encode(GenerationModel model, NDArray inputs, String modelInputName, ModelKwargs kw,
            NDManager work) {
        ModelInputs.Builder b = ModelInputs.builder();
        // the encoder gets every model kwarg except decoder_*, cross_attn* and use_cache
        for (Map.Entry<String, NDArray> e : kw.expandableTensors().entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("decoder_") && !k.startsWith("cross_attn")) {
                b.set(k, e.getValue());
            }
        }
        b.set("output_attentions", kw.outputAttentions());
        b.set("output_hidden_states", kw.outputHiddenStates());
        b.set(modelInputName, inputs);
        EncoderOutput enc = model.encode(b.build());
        enc.lastHiddenState().attach(work);
        return enc;
    }

    /** Python's {@code _prepare_decoder_input_ids_for_generation}. */
    private static NDArray prepareDecoderInputIds(GenerationModel model, int batchSize, String modelInputName,
            ModelKwargs kw, NDArray decoderInputIds, NDArray kwInputIds, List<Integer> decoderStartTokenId,
            boolean startIsList, Integer bosTokenId, NDManager work) {
        // 1. the caller's decoder_input_ids (or input_ids, when the encoder's main input is something else)
        NDArray decoderIds = decoderInputIds;
        if (decoderIds == null && kwInputIds != null && !modelInputName.equals("input_ids")) {
            decoderIds = kwInputIds;
        }
        // 2. they must start with decoder_start_token_id
        List<Integer> start = decoderStartTokenId;
        boolean isList = startIsList;
        if (start == null) {
            GenerationConfig own = model.generationConfig();
            start = own.decoderStartTokenId();
            isList = own.decoderStartTokenIdIsList();
        }
        if (start == null) {
            Integer bos = bosTokenId != null ? bosTokenId : model.generationConfig().bosTokenId();
            if (bos == null) {
                throw new IllegalArgumentException("`decoder_start_token_id` or `bos_token_id` has to be defined for "
                        + "encoder-decoder generation.");
            }
            start = List.of(bos);
            isList = false;
        }
        NDArray startIds;
        if (isList) {
            if (start.size() != batchSize) {
                throw new IllegalArgumentException("`decoder_start_token_id` expcted to have length " + batchSize
                        + " but got " + start.size());
            }
            long[] s = new long[batchSize];
            for (int i = 0; i < batchSize; i++) {
                s[i] = start.get(i);
            }
            startIds = work.create(s, new Shape(batchSize, 1));
        } else {
            startIds = filled(work, new Shape(batchSize, 1), start.get(0));
        }
        if (decoderIds == null) {
            return startIds;
        }
        // user input that does not start with the start token: prepend it (and a 1 to decoder_attention_mask)
        long[] first = GenerationContext.longs(decoderIds.get(new NDIndex(":, 0")));
        long[] starts = GenerationContext.longs(startIds.reshape(-1));
        boolean noneStart = true;
        for (int i = 0; i < first.length; i++) {
            if (first[i] == starts[isList ? i : 0]) {
                noneStart = false;
                break;
            }
        }
        if (!noneStart) {
            return decoderIds;
        }
        NDArray ids = startIds.concat(decoderIds, -1);
        NDArray mask = kw.decoderAttentionMask();
        if (mask != null) {
            try (NDArray one = mask.getManager().ones(new Shape(mask.getShape().get(0), 1), mask.getDataType())) {
                kw.decoderAttentionMask(one.concat(mask, -1));
            }
        }
        return ids;
    }

    /**
     * Python's {@code _expand_inputs_for_generation}: input_ids and every batch-first model kwarg (and the encoder's
     * last hidden state) repeated {@code expandSize} times row by row.
     */
    static NDArray expandInputsForGeneration(GenerationContext ctx, NDArray inputIds, int expandSize,
            boolean encoderDecoder) {
        ModelKwargs kw = ctx.kwargs;
        NDArray ids = inputIds == null ? null : GenerationContext.replace(inputIds,
                ctx.repeatInterleave(inputIds, expandSize));
        if (expandSize != 1) {
            // contrastive search expands inside a decoding step: what replaces a kwarg outlives the step
            for (Map.Entry<String, NDArray> e : kw.expandableTensors().entrySet()) {
                kw.setTensor(e.getKey(), GenerationContext.replace(e.getValue(),
                        ctx.repeatInterleave(e.getValue(), expandSize)));
            }
        }
        if (encoderDecoder) {
            EncoderOutput enc = kw.encoderOutputs();
            if (enc == null) {
                throw new IllegalArgumentException("If `is_encoder_decoder` is True, make sure that `encoder_outputs` "
                        + "is defined.");
            }
            if (expandSize != 1) {
                // the old last hidden state stays open: it may also be the output's encoder_hidden_states[-1]
                kw.encoderOutputs(enc.withLastHiddenState(GenerationContext.keep(
                        ctx.repeatInterleave(enc.lastHiddenState(), expandSize))));
            }
        }
        return ids;
    }

    /** Python's {@code _validate_generated_length}. */
    private static void validateGeneratedLength(GenerationModel model, GenerationConfig config, int inputIdsLength,
            boolean hasDefaultMaxLength) {
        Integer maxLength = config.maxLength();
        if (hasDefaultMaxLength && config.maxNewTokens() == null && maxLength != null && maxLength == 20) {
            LOG.warn("Using the model-agnostic default `max_length` (={}) to control the generation length. We "
                    + "recommend setting `max_new_tokens` to control the maximum length of the generation.", maxLength);
        }
        if (maxLength != null && inputIdsLength >= maxLength) {
            String name = model.isEncoderDecoder() ? "decoder_input_ids" : "input_ids";
            throw new IllegalArgumentException("Input length of " + name + " is " + inputIdsLength + ", but "
                    + "`max_length` is set to " + maxLength + ". This can lead to unexpected behavior. You should "
                    + "consider increasing `max_length` or, better yet, setting `max_new_tokens`.");
        }
        String suffix = " Generation will stop at the defined maximum length. You should decrease the minimum length "
                + "and/or increase the maximum length.";
        if (hasDefaultMaxLength) {
            suffix += " Note that `max_length` is set to " + maxLength + ", its default value.";
        }
        if (config.minLength() != null && maxLength != null && config.minLength() > maxLength) {
            LOG.warn("Unfeasible length constraints: `min_length` ({}) is larger than the maximum possible length "
                    + "({}).{}", config.minLength(), maxLength, suffix);
        }
        if (config.minNewTokens() != null && maxLength != null) {
            int minLength = config.minNewTokens() + inputIdsLength;
            if (minLength > maxLength) {
                LOG.warn("Unfeasible length constraints: `min_new_tokens` ({}), when added to the prompt length ({}), "
                        + "is larger than the maximum possible length ({}).{}", config.minNewTokens(), inputIdsLength,
                        maxLength, suffix);
            }
        }
    }

    /**
     * The model's unconditional forward for classifier-free guidance: Python calls the model itself,
     * {@code self.model(input_ids, attention_mask=..., use_cache=..., past_key_values=...)}, not
     * prepare_inputs_for_generation. The logits are freed with the step.
     */
    private static UnbatchedClassifierFreeGuidanceLogitsProcessor.Model guidanceModel(GenerationModel model,
            boolean useCache) {
        return (ids, mask, cache, past) -> {
            ModelInputs in = ModelInputs.builder().inputIds(ids).attentionMask(mask).useCache(cache)
                    .set("past_key_values", past).build();
            GenerationStepOutput out = model.forwardForGeneration(in);
            GenerationContext.register(out.logits());
            GenerationContext.registerAll(out.hiddenStates());
            GenerationContext.registerAll(out.attentions());
            return new UnbatchedClassifierFreeGuidanceLogitsProcessor.Output(out.logits(), out.pastKeyValues());
        };
    }

    // ---------------------------------------------------------------- memory

    private static NDManager callerManager(GenerateArgs args) {
        if (args.inputs() != null) {
            return args.inputs().getManager();
        }
        for (Object v : args.kwargs().values()) {
            if (v instanceof NDArray a) {
                return a.getManager();
            }
            if (v instanceof EncoderOutput e) {
                return e.lastHiddenState().getManager();
            }
        }
        // generation from bos_token_id alone: the output owns its tensors (close it)
        return NDManager.newBaseManager();
    }

    private static NDArray copyIn(NDArray a, NDManager work) {
        if (a == null) {
            return null;
        }
        NDArray c = a.duplicate();
        c.attach(work);
        return c;
    }

    /** The caller's legacy cache is copied (generate() closes the caches it replaces); a Cache is used in place. */
    private static Object copyCacheIn(Object past, NDManager work) {
        if (past == null || past instanceof Cache) {
            return past;
        }
        List<NDArray[]> legacy = PastKeyValues.legacy(past, "generate()");
        List<NDArray[]> out = new ArrayList<>(legacy.size());
        for (NDArray[] layer : legacy) {
            NDArray[] c = new NDArray[layer.length];
            for (int j = 0; j < layer.length; j++) {
                c[j] = copyIn(layer[j], work);
            }
            out.add(c);
        }
        return out;
    }

    /** Moves every tensor of the output (and a legacy cache in it) out of the call's manager, to the caller's. */
    private static void attachOutput(GenerateOutput out, NDManager caller) {
        for (NDArray a : out.toMap().values()) {
            a.attach(caller);
            NDScope.unregister(a);
        }
        PastKeyValues.attach(out.pastKeyValues(), caller);
    }

    private static NDArray tensor(String name, Object v) {
        if (!(v instanceof NDArray a)) {
            throw new IllegalArgumentException("The following `model_kwargs` are not used by the model: ['" + name
                    + "'] (note: typos in the generate arguments will also show up in this list)");
        }
        return a;
    }

    /** An int64 tensor of {@code shape} filled with {@code value} (Python's {@code torch.ones(shape) * value}). */
    private static NDArray filled(NDManager m, Shape shape, long value) {
        long[] data = new long[(int) shape.size()];
        java.util.Arrays.fill(data, value);
        return m.create(data, shape);
    }

    private static boolean isInteger(NDArray a) {
        DataType t = a.getDataType();
        return t == DataType.INT64 || t == DataType.INT32;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed", c, e);
        }
    }
}
