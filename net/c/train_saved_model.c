/*
 * train_saved_model: keep training an exported gomoku-zero net with no Python.
 *
 *   train_saved_model SAVED_MODEL_DIR BATCH_FILE STEPS LR SAVE_PREFIX
 *
 * Loads the SavedModel (tag "serve") with TF_LoadSessionFromSavedModel, runs its
 * "train_step" signature STEPS times on the batch in BATCH_FILE at learning rate LR,
 * printing "step K loss L entropy E" per step, then writes every variable (weights
 * and Adam state) through the graph's own saver to SAVE_PREFIX (SAVE_PREFIX.index and
 * SAVE_PREFIX.data-*). Saving to DIR/variables/variables of a copy of the SavedModel
 * gives a SavedModel holding the trained net.
 *
 * Tensor names are not hard-coded: they are read from the MetaGraphDef the loader
 * returns (its signature_def map and its saver_def), with a small protobuf reader.
 *
 * BATCH_FILE (written by net.export.write_train_batch): "GZB1", int32 N, H, W
 * (little-endian), then float32 states [N,4,H,W], mcts_probs [N,H*W], winners [N].
 *
 * Exit status: 0 on success, 1 on any error (one line on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/tf_tstring.h"

/* net/net_config.py MAX_NET_SIDE: the largest board side of a net */
#define MAX_SIDE 32
#define MAX_SIDE_TEXT "32"

#define NAME_MAX_LEN 256
#define N_TRAIN_INPUTS 4
#define N_TRAIN_OUTPUTS 2

/* MetaGraphDef / SaverDef / SignatureDef / TensorInfo field numbers (meta_graph.proto) */
enum {
  META_GRAPH_SAVER_DEF = 3,
  META_GRAPH_SIGNATURE_DEF = 5,
  MAP_ENTRY_KEY = 1,
  MAP_ENTRY_VALUE = 2,
  SAVER_FILENAME_TENSOR = 1,
  SAVER_SAVE_TENSOR = 2,
  SIGNATURE_INPUTS = 1,
  SIGNATURE_OUTPUTS = 2,
  TENSOR_INFO_NAME = 1,
  TENSOR_INFO_SHAPE = 3,
  SHAPE_DIM = 2,
  DIM_SIZE = 1
};

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static const char *const TRAIN_INPUT_KEYS[N_TRAIN_INPUTS] = {"states", "mcts_probs", "winners",
                                                              "lr"};
static const char *const TRAIN_OUTPUT_KEYS[N_TRAIN_OUTPUTS] = {"loss", "entropy"};

static void die(const char *what, const char *detail) {
  /* one line: TensorFlow's messages go on over several lines, keep the first */
  int n = detail ? (int)strcspn(detail, "\n") : 0;
  fprintf(stderr, "train_saved_model: error: %s%s%.*s\n", what, detail ? ": " : "", n,
          detail ? detail : "");
  exit(1);
}

static void check_status(TF_Status *status, const char *what) {
  if (TF_GetCode(status) != TF_OK) die(what, TF_Message(status));
}

/* ---- a minimal protobuf wire-format reader ---- */

typedef struct {
  const uint8_t *p, *end;
} PbSlice;

typedef struct {
  uint32_t number;
  int wire;
  uint64_t varint; /* the value when wire == WIRE_VARINT */
  PbSlice bytes;   /* the payload when wire == WIRE_LEN */
} PbField;

static int pb_varint(PbSlice *s, uint64_t *out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && s->p < s->end; shift += 7) {
    uint8_t byte = *s->p++;
    value |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = value;
      return 1;
    }
  }
  return 0;
}

/* Next field of the message in s: 1 if read, 0 at the end; dies on malformed input. */
static int pb_next(PbSlice *s, PbField *f) {
  uint64_t key, n;
  if (s->p >= s->end) return 0;
  if (!pb_varint(s, &key)) die("malformed MetaGraphDef", "bad field key");
  f->number = (uint32_t)(key >> 3);
  f->wire = (int)(key & 7);
  switch (f->wire) {
    case WIRE_VARINT:
      if (!pb_varint(s, &f->varint)) die("malformed MetaGraphDef", "bad varint");
      return 1;
    case WIRE_FIXED64:
      n = 8;
      break;
    case WIRE_FIXED32:
      n = 4;
      break;
    case WIRE_LEN:
      if (!pb_varint(s, &n)) die("malformed MetaGraphDef", "bad length");
      break;
    default:
      die("malformed MetaGraphDef", "unsupported wire type");
  }
  if (n > (uint64_t)(s->end - s->p)) die("malformed MetaGraphDef", "field runs past the end");
  f->bytes.p = s->p;
  f->bytes.end = s->p + n;
  s->p += n;
  return 1;
}

static int pb_equals(PbSlice s, const char *text) {
  size_t n = strlen(text);
  return (size_t)(s.end - s.p) == n && memcmp(s.p, text, n) == 0;
}

/* First length-delimited field `number` of msg into *out; 0 if absent. */
static int pb_find(PbSlice msg, uint32_t number, PbSlice *out) {
  PbField f;
  while (pb_next(&msg, &f))
    if (f.number == number && f.wire == WIRE_LEN) {
      *out = f.bytes;
      return 1;
    }
  return 0;
}

/* In a repeated map<string, Message> field `number` of msg, the value whose key is `key`. */
static int pb_map_lookup(PbSlice msg, uint32_t number, const char *key, PbSlice *value) {
  PbField f;
  while (pb_next(&msg, &f)) {
    PbSlice entry_key;
    if (f.number != number || f.wire != WIRE_LEN) continue;
    if (pb_find(f.bytes, MAP_ENTRY_KEY, &entry_key) && pb_equals(entry_key, key))
      return pb_find(f.bytes, MAP_ENTRY_VALUE, value);
  }
  return 0;
}

static void pb_copy_string(PbSlice s, char *out, const char *what) {
  size_t n = (size_t)(s.end - s.p);
  if (n == 0 || n >= NAME_MAX_LEN) die("unusable tensor name in MetaGraphDef", what);
  memcpy(out, s.p, n);
  out[n] = '\0';
}

/* ---- graph lookups ---- */

/* "op:index" -> TF_Output of the loaded graph. */
static TF_Output graph_output(TF_Graph *graph, const char *tensor_name) {
  char op_name[NAME_MAX_LEN];
  const char *colon = strrchr(tensor_name, ':');
  size_t n = colon ? (size_t)(colon - tensor_name) : strlen(tensor_name);
  TF_Output out;
  memcpy(op_name, tensor_name, n);
  op_name[n] = '\0';
  out.oper = TF_GraphOperationByName(graph, op_name);
  out.index = colon ? atoi(colon + 1) : 0;
  if (!out.oper) die("tensor not found in the loaded graph", tensor_name);
  return out;
}

static TF_Output signature_tensor(TF_Graph *graph, PbSlice signature, uint32_t side,
                                  const char *key) {
  PbSlice info, name;
  char tensor_name[NAME_MAX_LEN];
  if (!pb_map_lookup(signature, side, key, &info) || !pb_find(info, TENSOR_INFO_NAME, &name))
    die("train_step signature lacks tensor", key);
  pb_copy_string(name, tensor_name, key);
  return graph_output(graph, tensor_name);
}

/* Static size of dimension `axis` of a signature tensor (-1 when unknown or absent). */
static int64_t signature_dim(PbSlice signature, uint32_t side, const char *key, int axis) {
  PbSlice info, shape;
  PbField f;
  int i = 0;
  if (!pb_map_lookup(signature, side, key, &info) || !pb_find(info, TENSOR_INFO_SHAPE, &shape))
    return -1;
  while (pb_next(&shape, &f)) {
    PbField d;
    if (f.number != SHAPE_DIM || f.wire != WIRE_LEN || i++ != axis) continue;
    while (pb_next(&f.bytes, &d))
      if (d.number == DIM_SIZE && d.wire == WIRE_VARINT) return (int64_t)d.varint;
    return 0; /* a dim without size field has size 0 */
  }
  return -1;
}

/* ---- the batch file ---- */

typedef struct {
  int32_t n, height, width;
  float *states, *mcts_probs, *winners; /* point into data */
  char *data;
} Batch;

static Batch read_batch(const char *path) {
  Batch b;
  long size;
  size_t expected;
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open batch file", strerror(errno));
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 16 || fseek(f, 0, SEEK_SET) != 0)
    die("batch file too short or unreadable", path);
  b.data = malloc((size_t)size);
  if (!b.data) die("out of memory reading", path);
  if (fread(b.data, 1, (size_t)size, f) != (size_t)size) die("cannot read batch file", path);
  fclose(f);
  if (memcmp(b.data, "GZB1", 4) != 0) die("not a gomoku-zero batch file (no GZB1 magic)", path);
  memcpy(&b.n, b.data + 4, 4);
  memcpy(&b.height, b.data + 8, 4);
  memcpy(&b.width, b.data + 12, 4);
  /* bounds first, so that the size computation below cannot overflow size_t */
  if (b.n < 1 || b.height < 1 || b.width < 1 || b.height > MAX_SIDE || b.width > MAX_SIDE)
    die("batch file has a bad header (sides must be 1-" MAX_SIDE_TEXT ")", path);
  {
    size_t points = (size_t)b.height * (size_t)b.width;
    size_t per_sample = 4 * (4 * points + points + 1); /* states, probs, winner: float32 */
    if ((size_t)b.n > ((size_t)size - 16) / per_sample)
      die("batch file size does not match its header", path);
    expected = 16 + (size_t)b.n * per_sample;
  }
  if ((size_t)size != expected) die("batch file size does not match its header", path);
  b.states = (float *)(b.data + 16);
  b.mcts_probs = b.states + (size_t)b.n * 4 * b.height * b.width;
  b.winners = b.mcts_probs + (size_t)b.n * b.height * b.width;
  return b;
}

static TF_Tensor *float_tensor(const int64_t *dims, int ndims, const float *values) {
  size_t count = 1;
  for (int i = 0; i < ndims; i++) count *= (size_t)dims[i];
  TF_Tensor *t = TF_AllocateTensor(TF_FLOAT, dims, ndims, count * sizeof(float));
  if (!t) die("cannot allocate a tensor", NULL);
  memcpy(TF_TensorData(t), values, count * sizeof(float));
  return t;
}

static float scalar_value(TF_Tensor *t, const char *what) {
  if (TF_TensorType(t) != TF_FLOAT || TF_TensorByteSize(t) != sizeof(float))
    die("train_step output is not a float32 scalar", what);
  return *(const float *)TF_TensorData(t);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr,
            "usage: %s SAVED_MODEL_DIR BATCH_FILE STEPS LR SAVE_PREFIX\n"
            "  runs the SavedModel's train_step STEPS times on BATCH_FILE, then saves\n"
            "  all variables to SAVE_PREFIX with the SavedModel's saver\n",
            argv[0]);
    return 2;
  }
  const char *model_dir = argv[1], *batch_path = argv[2], *save_prefix = argv[5];
  char *end;
  long steps = strtol(argv[3], &end, 10);
  if (*end || steps < 0) die("STEPS must be an integer >= 0, got", argv[3]);
  float lr = strtof(argv[4], &end);
  if (*end || !(lr >= 0.0f)) die("LR must be a number >= 0, got", argv[4]);

  Batch batch = read_batch(batch_path);
  TF_Status *status = TF_NewStatus();
  TF_Graph *graph = TF_NewGraph();
  TF_SessionOptions *options = TF_NewSessionOptions();
  TF_Buffer *meta_graph = TF_NewBuffer();
  const char *tags[] = {"serve"};
  TF_Session *session = TF_LoadSessionFromSavedModel(options, NULL, model_dir, tags, 1, graph,
                                                     meta_graph, status);
  check_status(status, "cannot load the SavedModel");

  PbSlice meta = {(const uint8_t *)meta_graph->data,
                  (const uint8_t *)meta_graph->data + meta_graph->length};
  PbSlice signature, saver, name;
  if (!pb_map_lookup(meta, META_GRAPH_SIGNATURE_DEF, "train_step", &signature))
    die("the SavedModel has no train_step signature", model_dir);
  TF_Output inputs[N_TRAIN_INPUTS], outputs[N_TRAIN_OUTPUTS];
  for (int i = 0; i < N_TRAIN_INPUTS; i++)
    inputs[i] = signature_tensor(graph, signature, SIGNATURE_INPUTS, TRAIN_INPUT_KEYS[i]);
  for (int i = 0; i < N_TRAIN_OUTPUTS; i++)
    outputs[i] = signature_tensor(graph, signature, SIGNATURE_OUTPUTS, TRAIN_OUTPUT_KEYS[i]);

  int64_t model_height = signature_dim(signature, SIGNATURE_INPUTS, "states", 2);
  int64_t model_width = signature_dim(signature, SIGNATURE_INPUTS, "states", 3);
  if (model_height != batch.height || model_width != batch.width) {
    char detail[96];
    snprintf(detail, sizeof detail, "the batch is %dx%d, the SavedModel takes %lldx%lld boards",
             (int)batch.width, (int)batch.height, (long long)model_width, (long long)model_height);
    die("batch does not fit the model", detail);
  }
  const int64_t n = batch.n, moves = (int64_t)batch.height * batch.width;
  const int64_t state_dims[] = {n, 4, batch.height, batch.width}, prob_dims[] = {n, moves},
                winner_dims[] = {n};
  TF_Tensor *values[N_TRAIN_INPUTS] = {
      float_tensor(state_dims, 4, batch.states), float_tensor(prob_dims, 2, batch.mcts_probs),
      float_tensor(winner_dims, 1, batch.winners), float_tensor(NULL, 0, &lr)};

  for (long step = 1; step <= steps; step++) {
    TF_Tensor *results[N_TRAIN_OUTPUTS] = {NULL, NULL};
    TF_SessionRun(session, NULL, inputs, values, N_TRAIN_INPUTS, outputs, results,
                  N_TRAIN_OUTPUTS, NULL, 0, NULL, status);
    check_status(status, "train_step failed");
    printf("step %ld loss %.6f entropy %.6f\n", step, scalar_value(results[0], "loss"),
           scalar_value(results[1], "entropy"));
    for (int i = 0; i < N_TRAIN_OUTPUTS; i++) TF_DeleteTensor(results[i]);
  }

  /* Save through the SavedModel's saver: feed the prefix, fetch the save tensor. */
  char filename_tensor[NAME_MAX_LEN], save_tensor[NAME_MAX_LEN];
  if (!pb_find(meta, META_GRAPH_SAVER_DEF, &saver)) die("the SavedModel has no saver_def", NULL);
  if (!pb_find(saver, SAVER_FILENAME_TENSOR, &name)) die("saver_def has no filename tensor", NULL);
  pb_copy_string(name, filename_tensor, "saver filename");
  if (!pb_find(saver, SAVER_SAVE_TENSOR, &name)) die("saver_def has no save tensor", NULL);
  pb_copy_string(name, save_tensor, "saver save tensor");

  TF_Output filename_out = graph_output(graph, filename_tensor);
  TF_Output save_out = graph_output(graph, save_tensor);
  TF_Tensor *prefix = TF_AllocateTensor(TF_STRING, NULL, 0, sizeof(TF_TString));
  TF_TString *prefix_string = (TF_TString *)TF_TensorData(prefix);
  TF_StringInit(prefix_string);
  TF_StringCopy(prefix_string, save_prefix, strlen(save_prefix));
  TF_Tensor *saved = NULL;
  TF_SessionRun(session, NULL, &filename_out, &prefix, 1, &save_out, &saved, 1, NULL, 0, NULL,
                status);
  check_status(status, "saving the variables failed");
  printf("saved %s\n", save_prefix);

  TF_DeleteTensor(saved);
  TF_DeleteTensor(prefix);
  for (int i = 0; i < N_TRAIN_INPUTS; i++) TF_DeleteTensor(values[i]);
  TF_CloseSession(session, status);
  TF_DeleteSession(session, status);
  TF_DeleteBuffer(meta_graph);
  TF_DeleteSessionOptions(options);
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  free(batch.data);
  return 0;
}
