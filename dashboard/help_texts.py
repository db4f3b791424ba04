"""What each training setting means, for a learner: what it does, a sensible range, and what to
expect when it is too high or too low. One place, so that the Train form (and any page that shows a
setting) says the same thing."""

TRAINING = {
    "filters": "How many patterns this convolution learns to find, each its own feature map. 8 to 64 "
               "is usual on MNIST; more cost parameters and time, fewer may miss strokes.",
    "kernel": "The side of each filter, in pixels: 3 is the usual choice; 5 or 7 see more at once for "
              "more parameters; 1 only mixes the maps.",
    "stride": "1: the filter visits every position; 2: every other one, which halves the image each way "
              "like a pooling, for a quarter of the work.",
    "max_pool": "After this convolution, keep the largest value of each 2x2 block: the maps shrink by "
                "half each way, the next layers cost a quarter, and small shifts matter less.",
    "separable": "Depthwise separable: one small filter per incoming map, then a 1x1 convolution that "
                 "mixes them; about k*k times fewer parameters, for a little accuracy.",
    "repeat": "Apply this convolution this many times in a row with the same weights (a block shared "
              "across depth): the depth of several layers for the parameters of one. With batch norm on, "
              "each application has a norm of its own. It needs as many filters as the maps coming in, "
              "and a stride of 1.",
    "plain_norm": "The batch norm only normalises each map (mean 0, spread 1), without learning a scale and "
                  "a shift: no parameters at all. The smallest convnets spend theirs elsewhere.",
    "global_pool": "After the convolutions, average each feature map to one number instead of keeping "
                   "every position: far fewer parameters in the dense layers that follow.",
    "width": "Neurons in this layer: more can learn finer shapes but cost parameters and time. "
             "16 to 512 is usual on MNIST; past a few hundred, little is gained.",
    "activation": "What each neuron does with its sum: relu (keep positives, zero the rest) is the usual "
                  "choice; sigmoid and tanh saturate and learn slowly in deep networks; linear makes "
                  "the layer no better than none.",
    "batch_norm": "Rescales the layer's outputs to a steady range during training: often faster and "
                  "steadier learning, allowing a larger learning rate. A few parameters per neuron.",
    "dropout": "During training only, this share of the layer's outputs is set to 0 at random, so that "
               "no neuron can rely on one other: fights overfitting. 0.1 to 0.5; too high and the "
               "network cannot learn.",
    "optimizer": "How the weights move after each batch. Adam adapts the step per weight and is the "
                 "forgiving default; SGD takes plain steps (needs a larger learning rate, e.g. 0.05); "
                 "RMSprop and Nadam are Adam's relatives.",
    "learning_rate": "The size of each step down the loss. Adam: about 0.001 (0.0003 to 0.003); SGD: "
                     "about 0.05. Too high: the loss jumps or becomes NaN (diverged); too low: it "
                     "barely moves.",
    "beta_1": "Adam's momentum: how much of the past steps' direction is kept (0.9 usual).",
    "beta_2": "How slowly Adam's estimate of each gradient's size forgets (0.999 usual).",
    "batch_size": "Images per step. Small batches (16-64): more, noisier steps per epoch; large ones "
                  "(256-1024): fewer, smoother steps and faster epochs on a CPU, but often a little "
                  "less accurate unless the learning rate grows with them.",
    "epochs": "Passes over the training images. Accuracy rises fast at first, then slowly; when the "
              "validation loss starts to rise while the training loss still falls, more epochs only "
              "overfit (early stopping ends the training there).",
    "schedule": "How the learning rate moves during training: held constant; multiplied by a decay "
                "after each epoch; or one cycle, a warm-up then a slow decay (fast and accurate; "
                "good for short trainings).",
    "lr_decay": "With the step schedule, the learning rate is multiplied by this after each epoch: "
                "0.9 halves it in about 7 epochs; 1 keeps it.",
    "warmup": "With one cycle, the share of all steps spent raising the learning rate from a 20th of "
              "it to it; then it decays. 0.1 to 0.3.",
    "label_smoothing": "The target becomes slightly less than 100% for the right digit (the rest shared "
                       "by the others): the network is kept from becoming over-confident. 0.05 to 0.1; "
                       "0 turns it off.",
    "shift": "During training only, each image moves by a random shift of up to this share of its side "
             "(0.1: about 3 pixels): more handwriting than MNIST holds, so less overfitting. Slower to "
             "learn; 0.05 to 0.15.",
    "rotation": "During training only, each image is turned by a random angle of up to this many degrees "
                "either way: the network learns slanted handwriting. 10 to 20; much more and a 6 "
                "starts to look like a 9.",
    "scale": "During training only, each image is made up to this share larger or smaller: digits "
             "written big or small. 0.1 to 0.2.",
    "noise": "During training only, random Gaussian noise of this standard deviation (in gray levels, "
             "of 0 to 255) is added to each pixel: a network that has seen noise reads noisy scans "
             "better. 16 to 48.",
    "validation_fraction": "The share of the training images held out to check the network on images "
                           "it has not trained on: its curves show overfitting, and early stopping "
                           "watches it. 0.1 is usual; the test set is never used to choose.",
    "patience": "Early stopping: the training ends after this many epochs without a better validation "
                "loss, and keeps its best epoch's weights. 0 turns it off; 2 to 5 is usual.",
    "seed": "Fixes every random choice (the validation split, the initial weights, the shuffling, the "
            "random changes of the images; a network from a search keeps its search's split): the same seed "
            "and settings train the same network. Change it to see how much of a result is luck.",
    "train_images": "Train on the first N of the 60,000 training images (the validation share is "
                    "taken from these): fewer train faster but generalise worse; try 5,000 for a quick "
                    "look.",
}

# The Evaluate page's numbers, for one digit d (per-class) or for the whole split
EVALUATION = {
    "accuracy": "The share of images whose digit the network read right.",
    "mistakes": "Images read as another digit than their label.",
    "macro f1": "The f1 of each digit, averaged with the same weight for every digit: a digit the "
                "network reads badly pulls it down however rare it is.",
    "weighted f1": "The f1 of each digit, averaged by how many images each digit has.",
    "TP": "True positives: images of d read as d.",
    "FP": "False positives: images of another digit read as d.",
    "FN": "False negatives: images of d read as another digit.",
    "TN": "True negatives: images of other digits read as other digits.",
    "precision": "Of the images read as d, the share that are d: TP / (TP + FP). Low: the network "
                 "says d too often.",
    "recall (sensitivity)": "Of the images of d, the share read as d: TP / (TP + FN). Low: the network "
                            "misses many d's.",
    "specificity": "Of the images of other digits, the share not read as d: TN / (TN + FP).",
    "f1": "The harmonic mean of precision and recall: high only when both are.",
    "support": "How many images of d the split holds.",
    "misclassification": "1 - accuracy, counting d against the rest: (FP + FN) / all images.",
}

# The Search page's controls: what each bounds in the space the search draws its trials from
SEARCH = {
    "repeats": "How many times a convolution after the first may be applied in a row with the same "
                "weights (a block shared across depth): the depth of several layers for the "
                "parameters of one. A shared convolution keeps the width of the layer before it.",
    "name": "How the study is listed, to continue it later or compare it with another.",
    "kind": "Fully connected networks (MLPs) train fast; convnets read digits better for their size "
            "but each trial takes longer.",
    "layers": "The fewest and most layers a trial may have. 1 to 3 covers what works on MNIST; more "
              "layers make slower trials that rarely win.",
    "widths": "The range of neurons (or filters) per layer, in powers of two. A wide range finds "
              "small networks too; a narrow one searches its corner more closely.",
    "input": "Which views of the image a trial may start from: the whole image, or a reduction that "
             "makes every later layer smaller (for small networks).",
    "batch_norm": "Whether trials use batch normalisation after their layers: always, never, or either "
                  "(the search then learns which is better).",
    "dropout": "Each trial draws its dropout between 0 and this. 0: no dropout; 0.2 to 0.5 when "
               "networks are big enough to overfit.",
    "epochs": "How long each trial trains. Fewer epochs: more trials per minute, but networks that "
              "would win with longer training may be missed.",
    "images": "Train each trial on the first N images: 5,000 to 10,000 for a quick look at what "
              "matters, 60,000 for the real ranking.",
    "optimizers": "The optimisers trials may use. Adam alone is a sound start; adding others costs "
                  "trials.",
    "rates": "The range of peak learning rates (one-cycle schedule), on a log scale. Too wide wastes "
             "trials on rates that diverge or crawl.",
    "batches": "The batch sizes trials may use: smaller ones update more often, larger ones run faster "
               "per image.",
    "activations": "The functions hidden layers may use; relu is the usual winner.",
    "shifts": "Random shifts of the images during training (augmentation) trials may use: 0.1 often "
              "helps convnets, at some speed.",
    "smoothing": "Label smoothing values trials may use: 0.1 can help accuracy a little.",
    "rotations": "Random rotations of the images during training that trials may use, in degrees either "
                 "way: small networks trained long gain from them.",
    "split_seed": "Chooses which training images every trial validates on (a sixth of them, the same "
                  "for all trials): the trials are compared on equal terms, and the test set is kept "
                  "for the network you choose.",
}

# The Map page's controls
MAP = {
    "points": "Which images become points: the 10,000 test images, or a sample of the training ones.",
    "sample": "How many training images to place (with the training images chosen above). More "
              "points: a fuller map, a longer wait for UMAP and t-SNE.",
    "seed": "Picks the sample and starts the layout: the same seed gives the same map.",
    "space": "What is placed: the raw pixels, or what a trained network's layer makes of each image "
             "(its activations); a good network's last layer separates the digits far better.",
    "layer": "Which layer's activations: the last hidden one shows what the network decides on; "
             "earlier ones show rougher groupings.",
    "method": "PCA: fast and exact, but a straight projection that overlaps groups. UMAP and t-SNE "
              "bend the space to keep neighbours together: clearer clusters, distances between "
              "clusters mean less.",
    "n_neighbors": "UMAP looks at this many neighbours per point: small values show fine local "
                   "structure, large ones the overall shape. 15 is usual.",
    "min_dist": "How tightly UMAP packs points together: small values make dense clusters, large ones "
                "spread them out. 0.1 is usual.",
    "perplexity": "Roughly how many neighbours t-SNE balances for each point: 5 to 50; larger values "
                  "show more global structure.",
    "n_iter": "How many steps t-SNE takes: more steps, a more settled map, a longer wait.",
    "colour": "What each point's colour says: its true digit, what the network read, whether it "
              "read it right, or how likely its label is wrong (the label audit's score).",
}

# The two Inspect pages', the Draw page's and the label audit's controls
INSIDE = {
    "run": "Which trained network to look at; the most accurate is chosen first.",
    "split": "Validation images were held out of training but watched during it; test images were "
             "never used for any choice: the honest measure.",
    "order": "Strongest first: the units whose weights are largest, usually the clearest patterns.",
    "count": "How many units' weights to show, each as an image of what it responds to.",
    "source": "Which image to follow through the network's layers.",
    "index": "The test image's number, 0 to 9,999 (as on the Evaluate page's galleries).",
    "true": "The digit the image really is.",
    "read": "The digit the final network read it as: the cell of the confusion matrix.",
    "rank": "Which of that cell's images, the most confident mistake first.",
    "digit": "Whose score to explain: the answer by default, or another digit, to see what speaks "
             "against it.",
    "method": "How the importance of each pixel is computed: gradients (fast, noisy), integrated "
              "gradients (steadier) or occlusion (covering patches: slow, easy to trust).",
    "baseline": "What a pixel is compared with when measuring its importance: a black image, the "
                "average digit, or a blurred copy.",
    "audit_runs": "Their predicted probabilities are averaged: several good networks agree more "
                  "reliably than one about which labels look wrong.",
    "suspects": "How many of the most suspicious images to show, the most suspicious first.",
    "focus": "Highlights this image on the map of the digits below.",
}
