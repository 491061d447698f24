package onnx

// Glimpse decodes model files that strangers send, in a browser tab where a
// panic, a stack overflow or an allocation of gigabytes ends the program.
// The decoder checks these limits before it allocates what a count or a
// shape declares (tally counts a graph before the scan reads it), so that
// a hostile file over them fails fast, having cost next to nothing; one
// just under them costs at most about 100 MB beyond its weights. Each is
// far above what real models hold: the largest of the 1 300 ONNX files
// the tests can reach (the corpus, the zoo, ONNX's node tests), swin_t,
// holds 6 500 nodes and 28 000 items; the most graph attributes any holds
// is 4.
const (
	// maxGraphDepth bounds the nesting of graph attributes (If inside Loop
	// inside If...): real exports nest two or three levels. It is checked
	// before a nested graph is read, so a file nested 300 000 levels deep
	// costs 32 levels.
	maxGraphDepth = 32
	// maxNodes bounds the nodes of a model, in all its graphs together:
	// a node costs a few bytes of file and about a kilobyte decoded
	// (onnx-go's share included).
	maxNodes = 1 << 16
	// maxGraphs bounds the graph attributes of a model, at every depth
	// together (an empty GRAPHS entry is 2 bytes of file, a decoded graph
	// a few kilobytes).
	maxGraphs = 4096
	// maxItems bounds what the decoder makes an object for, counted over
	// the whole model: nodes, node inputs and outputs, attributes, values
	// of list attributes, tensors and graphs in TENSORS and GRAPHS
	// attributes, graph inputs, outputs and initializers, and dimensions.
	// Each costs one or two bytes of file and tens to a few hundred bytes
	// decoded.
	maxItems = 1 << 19
	// maxRank bounds the dimensions of one tensor or value.
	maxRank = 64
	// maxElems bounds the elements of one tensor (2^31-1); a tensor's data
	// must also be in the file, so no tensor is larger than the file.
	maxElems = 1<<31 - 1
	// maxOpsets bounds the opset imports (every graph keeps a copy).
	maxOpsets = 64
)
