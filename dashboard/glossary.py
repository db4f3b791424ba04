"""The words a learner meets on these pages, each said in two or three sentences, and the link
that opens the glossary on a page's own words (st.page_link: a plain Markdown link would open a new
session, without the visitor's identity)."""

from __future__ import annotations

import streamlit as st

from dashboard import pages

TERMS = {
    "accuracy": "The share of images the network reads right. On MNIST a network that guesses scores "
                "about 10%; a small MLP about 98%; a good convnet above 99%.",
    "activation": "The function a layer applies to each of its sums before passing it on. Without one, "
                  "layers would add up to a single linear map; relu (max(0, x)) is the usual choice.",
    "augmentation": "Training on slightly changed copies of the images (shifted, rotated) so that the "
                    "network learns the digit, not its exact position. It slows learning a little and "
                    "usually helps the test accuracy.",
    "batch": "The images the network sees before each update of its weights. Larger batches give "
             "smoother but fewer updates per epoch; 32 to 256 are usual.",
    "batch norm": "Batch normalisation rescales a layer's outputs to a mean of 0 and a spread of 1 over "
                  "each batch. It lets a network train faster and with higher learning rates.",
    "confusion matrix": "A table of true digits (rows) against the network's answers (columns). The "
                        "diagonal holds the right answers; every other cell is one kind of mistake.",
    "convolution": "A layer that slides small filters (e.g. 3x3 pixels) over the image; each filter "
                   "learns to find one pattern (an edge, a curve) wherever it is in the image.",
    "cross-entropy": "The loss used here: minus the log of the probability the network gave the right "
                     "digit. Sure and right costs almost 0; sure and wrong costs a lot.",
    "dropout": "During training only, each unit of a layer is switched off at random with this "
               "probability, so that no unit can rely on another: it fights overfitting. 0.1 to 0.5 are "
               "usual; too high and the network learns slowly.",
    "epoch": "One pass over all the training images. Networks here learn most in their first epochs; "
             "later ones refine, and may start to overfit.",
    "f1": "The harmonic mean of precision and recall: high only when both are. Macro f1 averages it "
          "over the ten digits equally; weighted f1 weights each digit by its number of images.",
    "learning rate": "How big a step each update takes. Too high and the loss jumps or diverges; too "
                     "low and training crawls. Adam works well around 0.001; schedules change it as "
                     "training goes.",
    "loss": "The number training makes smaller: here the cross-entropy, averaged over images. Lower is "
            "better; unlike accuracy it also counts how sure the network was.",
    "overfitting": "The network learns its training images by heart: training loss keeps falling while "
                   "validation loss rises. More data, augmentation, dropout or fewer epochs help.",
    "parameters": "The numbers a network learns (weights and biases). More parameters can learn more, "
                  "take longer and overfit more easily.",
    "pooling": "Max pooling keeps the largest value of each 2x2 block: the image shrinks by half each "
               "way, and the network cares less about exact positions.",
    "precision": "Of the images the network called a 3, the share that are 3s. Low precision: it calls "
                 "too many other digits 3.",
    "recall": "Of the images that are 3s, the share the network called 3. Low recall: it misses 3s.",
    "softmax": "The last layer's function: it turns ten scores into ten probabilities that add up to 1. "
               "The answer is the digit with the highest probability.",
    "standardisation": "Each pixel has the training images' mean at that pixel subtracted and is divided "
                       "by their spread there, so that every input has about the same scale.",
    "stride": "How many pixels a convolution's filter moves between two positions. Stride 2 halves the "
              "image each way, like pooling, and costs a quarter of the work.",
    "test set": "10,000 images kept apart from training and from every choice made on the way: the "
                "honest measure of how a network does on digits it never saw.",
    "validation set": "Images taken out of the training set to watch training and choose settings "
                      "(epochs, learning rate). Choosing on the test set instead would make its score "
                      "too good to be true.",
    "weights": "The numbers inside each layer that training adjusts. The first layer's weights can be "
               "drawn as images: they show which strokes each unit looks for.",
}


def link(*terms: str) -> None:
    """One line under a page's title: its words, opening the glossary on them."""
    st.page_link(pages.GLOSSARY, label=f"Words on this page: {', '.join(terms)}", icon=":material/menu_book:",
                 query_params={"terms": ",".join(terms)})
