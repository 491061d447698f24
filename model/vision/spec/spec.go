// Package spec holds Spec, the description of how an image is turned into a
// model input tensor (size, layout, channel order, normalisation, crop and
// resize method), as plain data. Package vision does the turning; a model
// card (package card) produces a Spec without linking the image code.
package spec

// Spec describes how an image is turned into a model input tensor.
type Spec struct {
	Width, Height int        // model input size
	Layout        string     // "NCHW" (default when empty) or "NHWC"
	Channels      string     // "RGB" (default when empty) or "BGR"
	Mean, Std     [3]float32 // in 0..255 pixel units, per channel in R,G,B order; value = (pixel - Mean)/Std
	// Crop is the centre-crop fraction of the shorter side, in (0,1]; 1 (or 0,
	// meaning unset) takes the largest centred region with the model input's
	// aspect ratio (a square for a square input).
	Crop   float32
	Resize string // "bilinear" (default when empty), "catmullrom", "nearest", "area"
}
